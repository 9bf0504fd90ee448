#include "quantize/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "aoi/version.h"
#include "core/require.hpp"
#include "kernels/qgemm.hpp"

namespace aoi::quantize {
namespace {

std::string prefix_of(const nn::TrunkStep& step) {
  return "layer" + std::to_string(step.stage - 1) + "." + std::to_string(step.block) + "." + step.layer;
}

bool is_block_conv_weight(const std::string& name) {
  return name.rfind("layer", 0) == 0 && name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
}

// Symmetric s8 per output channel within +-kQWeightMax: the values and the steps.
std::pair<std::vector<std::int8_t>, std::vector<float>> quantize_weights(std::span<const float> w, std::size_t out_channels) {
  const std::size_t per = w.size() / out_channels;
  std::vector<std::int8_t> q(w.size());
  std::vector<float> scales(out_channels);
  for (std::size_t o = 0; o < out_channels; ++o) {
    float hi = 0;
    for (std::size_t i = 0; i < per; ++i) hi = std::max(hi, std::abs(w[o * per + i]));
    const float scale = hi > 0 ? hi / kernels::kQWeightMax : 0.0f;
    scales[o] = scale;
    for (std::size_t i = 0; i < per; ++i) {
      const float v = scale > 0 ? std::nearbyint(w[o * per + i] / scale) : 0.0f;
      q[o * per + i] = std::int8_t(std::clamp(v, -float(kernels::kQWeightMax), float(kernels::kQWeightMax)));
    }
  }
  return {std::move(q), std::move(scales)};
}

}  // namespace

nn::ConvInputTap Calibration::tap() {
  return [this](const nn::TrunkStep& step, const float* nhwc, std::size_t count) {
    const std::string key = prefix_of(step);
    // The histogram of one layer is short work next to the convolution;
    // one lock for all keeps the code simple.
    std::lock_guard lock(mutex_);
    ranges_[key].add(nhwc, count);
  };
}

std::map<std::string, float> Calibration::input_steps(const nn::Trunk& trunk) const {
  std::lock_guard lock(mutex_);
  std::map<std::string, float> steps;
  for (std::size_t s = 0; s < trunk.stages().size(); ++s)
    for (std::size_t b = 0; b < trunk.stages()[s].size(); ++b) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      for (const char* conv : {"conv1", "conv2", "conv3"}) {
        const auto it = ranges_.find(p + conv);
        require(it != ranges_.end() && it->second.values() > 0, ErrorKind::kInvalidArgument, "quantize",
                "no calibration input reached " + p + conv);
        steps[p + conv] = it->second.step();
      }
      if (trunk.stages()[s][b].downsample) steps[p + "downsample"] = steps[p + "conv1"];
    }
  return steps;
}

weights::WeightWriter quantize_int8(const weights::WeightFile& in, const std::map<std::string, float>& input_steps) {
  require(in.description().precision == "fp32", ErrorKind::kInvalidArgument, in.name(),
          "holds " + in.description().precision + " weights; quantize a float32 file");
  weights::WeightWriter out;
  for (const auto& t : in.tensors()) {
    if (!is_block_conv_weight(t.name)) {
      const auto values = in.data(t.name);
      out.add(t.name, t.shape, std::vector<float>(values.begin(), values.end()));
      continue;
    }
    const std::string prefix = t.name.substr(0, t.name.size() - 7);
    const auto step = input_steps.find(prefix);
    require(step != input_steps.end(), ErrorKind::kInvalidArgument, "quantize", "no input step for " + prefix);
    auto [q, scales] = quantize_weights(in.data(t.name), std::size_t(t.shape[0]));
    out.add_s8(t.name, t.shape, std::move(q));
    out.add(prefix + ".weight_scale", {t.shape[0]}, std::move(scales));
    out.add(prefix + ".input_scale", {1}, {step->second});
  }
  return out;
}

weights::WeightWriter quantize_bf16(const weights::WeightFile& in) {
  require(in.description().precision == "fp32", ErrorKind::kInvalidArgument, in.name(),
          "holds " + in.description().precision + " weights; quantize a float32 file");
  weights::WeightWriter out;
  for (const auto& t : in.tensors()) {
    const auto v = in.data(t.name);
    std::vector<float> values(v.begin(), v.end());
    const bool weight = t.name.size() > 7 && t.name.compare(t.name.size() - 7, 7, ".weight") == 0;
    if (weight) out.add_bf16(t.name, t.shape, values);
    else out.add(t.name, t.shape, std::move(values));
  }
  return out;
}

weights::ModelDescription quantized_description(const weights::WeightFile& in, const std::string& precision,
                                                const CalibrationFacts* calibration) {
  weights::ModelDescription d = in.description();
  d.precision = precision;
  char hash[17], date[32];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(in.payload_hash()));
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  nlohmann::json q{{"from_weights", hash}, {"made_by", std::string("aoi ") + AOI_VERSION_STRING}, {"date", date}};
  if (precision == "int8") {
    q["weights"] = "s8, symmetric, one step per output channel, within +-" + std::to_string(kernels::kQWeightMax);
    q["activations"] = "u8, zero at 0, one step per layer input: the clip with least squared error";
    q["float32_layers"] = {"stem", "fc"};
  } else {
    q["weights"] = "bfloat16, rounded to nearest even; biases float32";
  }
  if (calibration)
    q["calibration"] = {{"manifest", calibration->manifest},
                        {"images", calibration->images},
                        {"skipped", calibration->skipped}};
  d.quantization = q.dump();
  return d;
}

}  // namespace aoi::quantize
