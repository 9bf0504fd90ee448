// torchvision ResNet (v1.5: stride on the 3x3 conv, no conv bias, BN eps 1e-5,
// RGB normalised by ImageNet mean and std) from a safetensors state dict.
#include <cstring>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/require.hpp"
#include "core/json_number.hpp"
#include "io/image.hpp"
#include "convert.hpp"

namespace aoi::convert {
namespace {

using nlohmann::json;

struct StateDict {
  std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<float>>> tensors;
  std::string file;

  const std::vector<float>& values(const std::string& name) const {
    const auto it = tensors.find(name);
    require(it != tensors.end(), ErrorKind::kBadWeights, file, "state dict has no tensor " + name);
    return it->second.second;
  }
  const std::vector<std::int64_t>& shape(const std::string& name) const {
    values(name);
    return tensors.at(name).first;
  }
};

StateDict read_safetensors(const std::filesystem::path& path) {
  StateDict sd;
  sd.file = path.string();
  const auto bytes = io::read_file(path, std::int64_t(1) << 34);
  auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadWeights, sd.file + ": bad safetensors file: " + what); };
  if (bytes.size() < 8) throw bad("truncated");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8) throw bad("header length exceeds the file");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(header_len));
  } catch (const json::exception& e) {
    throw bad(std::string("header is not JSON: ") + e.what());
  }
  const std::size_t data_at = 8 + header_len;
  try {
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string dtype = t.at("dtype").get<std::string>();
    auto shape = ::aoi::detail::json_numbers<std::int64_t>(t.at("shape"), sd.file + ": shape", ErrorKind::kBadWeights);
    const auto range = ::aoi::detail::json_numbers<std::uint64_t>(t.at("data_offsets"), sd.file + ": data_offsets", ErrorKind::kBadWeights);
    if (range.size() != 2 || range[0] > range[1] || range[1] > bytes.size() - data_at) throw bad(name + " lies outside the file");
    if (dtype == "I64") continue;  // num_batches_tracked
    if (dtype != "F32") throw Error(ErrorKind::kUnsupported, sd.file + ": tensor " + name + " is " + dtype + "; save the state dict as float32");
    const std::size_t count = element_count(shape, (bytes.size() - data_at) / 4, sd.file + ": tensor " + name);
    if (count * 4 != range[1] - range[0]) throw bad(name + " size does not match its shape");
    std::vector<float> values(count);
    if (count) std::memcpy(values.data(), bytes.data() + data_at + range[0], count * 4);
    sd.tensors[name] = {std::move(shape), std::move(values)};
  }
  } catch (const json::exception& e) {
    throw bad(std::string("unexpected header structure: ") + e.what());
  }
  return sd;
}

}  // namespace

weights::WeightWriter convert_safetensors(const std::filesystem::path& path, weights::ModelDescription& d) {
  const StateDict sd = read_safetensors(path);
  weights::WeightWriter out;
  constexpr double kEpsilon = 1e-5;  // torch.nn.BatchNorm2d default
  auto add = [&](const std::string& conv, const std::string& bn, const std::string& target) {
    BatchNorm norm{sd.values(bn + ".weight"), sd.values(bn + ".bias"), sd.values(bn + ".running_mean"),
                   sd.values(bn + ".running_var"), kEpsilon};
    const auto& shape = sd.shape(conv + ".weight");
    require(shape.size() == 4, ErrorKind::kBadWeights, sd.file, conv + ".weight is not 4-d");
    add_folded_conv(out, target, shape, sd.values(conv + ".weight"), {}, norm);
  };
  add("conv1", "bn1", "stem");
  std::map<int, int> blocks;
  const std::regex block_name(R"(layer(\d+)\.(\d+)\.conv1\.weight)");
  for (const auto& [name, t] : sd.tensors) {
    std::smatch m;
    if (std::regex_match(name, m, block_name))
      blocks[std::stoi(m[1])] = std::max(blocks[std::stoi(m[1])], std::stoi(m[2]) + 1);
  }
  require(!blocks.empty(), ErrorKind::kUnsupported, sd.file, "no layer1.0.conv1.weight: not a torchvision ResNet");
  d.blocks.clear();
  for (const auto& [stage, count] : blocks) {
    require(stage == 1 + int(d.blocks.size()), ErrorKind::kUnsupported, sd.file, "layers are not numbered 1, 2, ...");
    d.blocks.push_back(count);
    for (int b = 0; b < count; ++b) {
      const std::string p = "layer" + std::to_string(stage) + "." + std::to_string(b) + ".";
      add(p + "conv1", p + "bn1", p + "conv1");
      add(p + "conv2", p + "bn2", p + "conv2");
      add(p + "conv3", p + "bn3", p + "conv3");
      if (sd.tensors.count(p + "downsample.0.weight")) add(p + "downsample.0", p + "downsample.1", p + "downsample");
    }
  }
  if (sd.tensors.count("fc.weight")) {
    out.add("fc.weight", sd.shape("fc.weight"), sd.values("fc.weight"));
    out.add("fc.bias", sd.shape("fc.bias"), sd.values("fc.bias"));
  }
  d.architecture = "resnet";
  d.variant = "v1.5";
  d.preprocess.channel_order = image::ChannelOrder::kRGB;
  d.preprocess.scale = 1.0f;
  d.preprocess.mean = {0.485f, 0.456f, 0.406f};
  d.preprocess.std = {0.229f, 0.224f, 0.225f};
  return out;
}

}  // namespace aoi::convert
