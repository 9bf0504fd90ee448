// Keras ResNet50 (Caffe-style v1) as a TF.js layers model to .aoiw.
//
// Layer names follow keras.applications: conv1/bn_conv1 for the stem,
// res{stage}{block}_branch2{a,b,c} and _branch1 with bn{stage}{block}_* for the
// bottlenecks, fc1000 for the classifier. Strides and batch-norm epsilon are
// read from the topology, not assumed.
#include <fstream>
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

struct ShardedWeights {
  std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<float>>> tensors;

  const std::vector<float>& values(const std::string& name, const std::string& file) const {
    const auto it = tensors.find(name);
    require(it != tensors.end(), ErrorKind::kBadWeights, file, "weights manifest has no tensor " + name);
    return it->second.second;
  }
  const std::vector<std::int64_t>& shape(const std::string& name, const std::string& file) const {
    values(name, file);
    return tensors.at(name).first;
  }
};

// Concatenates each group's shards in manifest order and slices out tensors.
ShardedWeights read_shards(const json& manifest, const std::filesystem::path& dir, const std::string& file) {
  ShardedWeights out;
  for (const auto& group : manifest) {
    std::vector<std::uint8_t> bytes;
    int previous_index = 0;
    for (const auto& path : group.at("paths")) {
      const std::string shard = path.get<std::string>();
      std::smatch m;
      // Shards are named groupG-shardNofM: refuse a manifest listing them out
      // of numeric order (a lexical sort would put shard 10 before shard 2).
      if (std::regex_search(shard, m, std::regex(R"(shard(\d{1,9})of(\d{1,9}))"))) {
        const int index = std::stoi(m[1]);
        require(index == previous_index + 1, ErrorKind::kBadWeights, file,
                "shard " + shard + " is out of numeric order in the manifest");
        previous_index = index;
      }
      const auto chunk = io::read_file(dir / shard, std::int64_t(1) << 32);
      bytes.insert(bytes.end(), chunk.begin(), chunk.end());
    }
    std::size_t offset = 0;
    for (const auto& w : group.at("weights")) {
      const std::string name = w.at("name").get<std::string>();
      require(w.at("dtype").get<std::string>() == "float32" && !w.contains("quantization"), ErrorKind::kUnsupported,
              file, "tensor " + name + " is not plain float32");
      auto shape = ::aoi::detail::json_numbers<std::int64_t>(w.at("shape"), file + ": shape", ErrorKind::kBadWeights);
      const std::size_t count = element_count(shape, bytes.size() / 4, file + ": tensor " + name);
      require(offset + count * 4 <= bytes.size(), ErrorKind::kBadWeights, file,
              "shards end before tensor " + name + " (missing or truncated shard)");
      std::vector<float> values(count);
      if (count) std::memcpy(values.data(), bytes.data() + offset, count * 4);
      offset += count * 4;
      out.tensors[name] = {std::move(shape), std::move(values)};
    }
    require(offset == bytes.size(), ErrorKind::kBadWeights, file,
            "shards hold " + std::to_string(bytes.size()) + " bytes, the manifest describes " + std::to_string(offset));
  }
  return out;
}

// HWIO (Keras) to OIHW (aoi).
std::vector<float> hwio_to_oihw(const std::vector<float>& hwio, const std::vector<std::int64_t>& s) {
  const std::int64_t kh = s[0], kw = s[1], ci = s[2], co = s[3];
  std::vector<float> out(hwio.size());
  for (std::int64_t y = 0; y < kh; ++y)
    for (std::int64_t x = 0; x < kw; ++x)
      for (std::int64_t i = 0; i < ci; ++i)
        for (std::int64_t o = 0; o < co; ++o)
          out[((o * ci + i) * kh + y) * kw + x] = hwio[((y * kw + x) * ci + i) * co + o];
  return out;
}

}  // namespace

weights::WeightWriter convert_tfjs(const std::filesystem::path& model_json, weights::ModelDescription& d) {
  const std::string file = model_json.string();
  std::ifstream in(model_json);
  require(in.good(), ErrorKind::kIo, file, "cannot open");
  json model;
  try {
    model = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kBadWeights, file + ": not valid JSON: " + e.what());
  }
  try {
    const json& layers = model.at("modelTopology").at("model_config").at("config").at("layers");
    std::map<std::string, json> config;
    for (const auto& l : layers) config[l.at("name").get<std::string>()] = l.at("config");
    const ShardedWeights w = read_shards(model.at("weightsManifest"), model_json.parent_path(), file);

    auto layer = [&](const std::string& name) -> const json& {
      const auto it = config.find(name);
      require(it != config.end(), ErrorKind::kBadWeights, file, "topology has no layer " + name);
      return it->second;
    };
    auto stride_of = [&](const std::string& conv) { return ::aoi::detail::json_number<int>(layer(conv).at("strides").at(0), file, ErrorKind::kBadWeights); };
    require(::aoi::detail::json_number<int>(layer("conv1").at("kernel_size").at(0), file, ErrorKind::kBadWeights) == 7 && stride_of("conv1") == 2, ErrorKind::kUnsupported,
            file, "stem is not a 7x7 stride-2 convolution");
    if (config.count("conv1_pad"))
      require(::aoi::detail::json_number<int>(layer("conv1_pad").at("padding").at(0).at(0), file, ErrorKind::kBadWeights) == 3, ErrorKind::kUnsupported, file,
              "stem padding is not 3");

    weights::WeightWriter out;
    auto add = [&](const std::string& conv, const std::string& bn, const std::string& target) {
      const auto& shape = w.shape(conv + "/kernel", file);
      require(shape.size() == 4, ErrorKind::kBadWeights, file, conv + "/kernel is not 4-d");
      const json& bn_config = layer(bn);
      BatchNorm norm{w.values(bn + "/gamma", file), w.values(bn + "/beta", file), w.values(bn + "/moving_mean", file),
                     w.values(bn + "/moving_variance", file), bn_config.at("epsilon").get<double>()};
      const bool has_bias = layer(conv).value("use_bias", true);
      add_folded_conv(out, target, {shape[3], shape[2], shape[0], shape[1]},
                      hwio_to_oihw(w.values(conv + "/kernel", file), shape),
                      has_bias ? w.values(conv + "/bias", file) : std::vector<float>{}, norm);
    };
    add("conv1", "bn_conv1", "stem");

    std::map<int, int> blocks;
    const std::regex block_name(R"(res(\d)([a-z])_branch2a)");
    for (const auto& [name, cfg] : config) {
      std::smatch m;
      if (std::regex_match(name, m, block_name)) blocks[std::stoi(m[1])] = std::max(blocks[std::stoi(m[1])], m[2].str()[0] - 'a' + 1);
    }
    require(!blocks.empty() && blocks.begin()->first == 2, ErrorKind::kUnsupported, file, "no res2a_branch2a: not a Keras ResNet");
    d.blocks.clear();
    for (const auto& [stage, count] : blocks) {
      require(stage == 2 + int(d.blocks.size()), ErrorKind::kUnsupported, file, "stages are not numbered 2, 3, ...");
      d.blocks.push_back(count);
      for (int b = 0; b < count; ++b) {
        const std::string keras = std::to_string(stage) + char('a' + b);
        const std::string ours = "layer" + std::to_string(stage - 1) + "." + std::to_string(b) + ".";
        add("res" + keras + "_branch2a", "bn" + keras + "_branch2a", ours + "conv1");
        add("res" + keras + "_branch2b", "bn" + keras + "_branch2b", ours + "conv2");
        add("res" + keras + "_branch2c", "bn" + keras + "_branch2c", ours + "conv3");
        if (config.count("res" + keras + "_branch1"))
          add("res" + keras + "_branch1", "bn" + keras + "_branch1", ours + "downsample");
      }
    }
    if (d.blocks.size() > 1) {
      if (stride_of("res3a_branch2a") == 2 && stride_of("res3a_branch2b") == 1) d.variant = "v1";
      else if (stride_of("res3a_branch2a") == 1 && stride_of("res3a_branch2b") == 2) d.variant = "v1.5";
      else throw Error(ErrorKind::kUnsupported, file + ": res3a strides match neither ResNet v1 nor v1.5");
    }
    if (w.tensors.count("fc1000/kernel")) {
      const auto& s = w.shape("fc1000/kernel", file);
      const auto& k = w.values("fc1000/kernel", file);
      std::vector<float> t(k.size());
      for (std::int64_t i = 0; i < s[0]; ++i)
        for (std::int64_t o = 0; o < s[1]; ++o) t[o * s[0] + i] = k[i * s[1] + o];
      out.add("fc.weight", {s[1], s[0]}, std::move(t));
      out.add("fc.bias", {s[1]}, w.values("fc1000/bias", file));
    }
    d.architecture = "resnet";
    // keras.applications.resnet50 "caffe" preprocessing: BGR, 0..255, ImageNet mean, no std.
    d.preprocess.channel_order = image::ChannelOrder::kBGR;
    d.preprocess.scale = 255.0f;
    d.preprocess.mean = {103.939f, 116.779f, 123.68f};
    d.preprocess.std = {1.0f, 1.0f, 1.0f};
    return out;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kBadWeights, file + ": unexpected model.json structure: " + e.what());
  }
}

}  // namespace aoi::convert
