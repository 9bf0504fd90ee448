#include "description_json.hpp"

#include "core/require.hpp"
#include "core/json_number.hpp"

namespace aoi::weights::detail {

using nlohmann::json;

namespace {
std::array<float, 3> float3(const json& j, const std::string& what) {
  const auto v = ::aoi::detail::json_numbers<float>(j, what, ErrorKind::kBadWeights);
  require(v.size() == 3, ErrorKind::kBadWeights, what, "expected three numbers");
  return {v[0], v[1], v[2]};
}
}  // namespace

json to_json(const ModelDescription& d) {
  const auto& p = d.preprocess;
  json j{
      {"architecture", d.architecture},
      {"variant", d.variant},
      {"blocks", d.blocks},
      {"source", d.source},
      {"labels", d.labels},
      {"preprocess",
       {{"channel_order", p.channel_order == image::ChannelOrder::kRGB ? "RGB" : "BGR"},
        {"scale", p.scale},
        {"mean", p.mean},
        {"std", p.std},
        {"input_size", p.input_size},
        {"resize_short", p.resize_short},
        {"policy", image::policy_name(p.policy)}}},
  };
  if (d.precision != "fp32") {
    j["precision"] = d.precision;
    j["quantization"] = d.quantization.empty() ? json::object() : json::parse(d.quantization);
  }
  return j;
}

ModelDescription description_from_json(const json& j, const std::string& name) {
  auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadWeights, name + ": " + what); };
  ModelDescription d;
  try {
    d.architecture = j.at("architecture").get<std::string>();
    if (d.architecture != "resnet")
      throw bad("architecture '" + d.architecture + "' is not one aoi can run (expected resnet)");
    d.variant = j.at("variant").get<std::string>();
    if (d.variant != "v1" && d.variant != "v1.5") throw bad("unknown resnet variant '" + d.variant + "'");
    d.blocks = ::aoi::detail::json_numbers<int>(j.at("blocks"), "blocks", ErrorKind::kBadWeights);
    if (d.blocks.empty() || d.blocks.size() > 8) throw bad("blocks must list 1 to 8 stages");
    for (int b : d.blocks)
      if (b < 1 || b > 64) throw bad("a stage must have 1 to 64 blocks");
    d.source = j.value("source", "");
    d.labels = j.value("labels", std::vector<std::string>{});
    d.precision = j.value("precision", "fp32");
    if (d.precision != "fp32" && d.precision != "int8" && d.precision != "bf16")
      throw bad("precision '" + d.precision + "' is not one aoi runs (expected fp32, int8 or bf16)");
    if (j.contains("quantization")) {
      if (!j.at("quantization").is_object()) throw bad("quantization must be an object");
      d.quantization = j.at("quantization").dump();
    }
    const json& p = j.at("preprocess");
    const auto order = p.at("channel_order").get<std::string>();
    if (order != "RGB" && order != "BGR") throw bad("channel_order must be RGB or BGR");
    d.preprocess.channel_order = order == "RGB" ? image::ChannelOrder::kRGB : image::ChannelOrder::kBGR;
    d.preprocess.scale = ::aoi::detail::json_number<float>(p.at("scale"), "scale", ErrorKind::kBadWeights);
    d.preprocess.mean = float3(p.at("mean"), "mean");
    d.preprocess.std = float3(p.at("std"), "std");
    for (float s : d.preprocess.std)
      if (!(s > 0)) throw bad("std must be positive");
    d.preprocess.input_size = ::aoi::detail::json_number<int>(p.at("input_size"), "input_size", ErrorKind::kBadWeights);
    d.preprocess.resize_short = ::aoi::detail::json_number<int>(p.at("resize_short"), "resize_short", ErrorKind::kBadWeights);
    if (d.preprocess.input_size < 32 || d.preprocess.input_size > 4096 ||
        d.preprocess.resize_short < d.preprocess.input_size || d.preprocess.resize_short > 8192)
      throw bad("input_size or resize_short out of range");
    d.preprocess.policy = image::parse_policy(p.at("policy").get<std::string>());
  } catch (const json::exception& e) {
    throw bad(std::string("malformed header: ") + e.what());
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kBadWeights) throw;
    throw bad(e.what());
  }
  return d;
}

}  // namespace aoi::weights::detail
