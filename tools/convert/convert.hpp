// Converters from published ResNet-50 weights to aoi's .aoiw file. Both fold
// batch norm into the convolutions and record the architecture variant and
// the input preprocessing, so the engine needs no model-specific constants.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "weights/weight_file.hpp"

namespace aoi::convert {

struct BatchNorm {
  std::vector<float> gamma, beta, mean, variance;
  double epsilon = 1e-5;
};

// Adds name.weight (OIHW) and name.bias with the batch norm folded in, in
// double precision: w' = w * g / sqrt(v + eps), b' = (b - m) * g / sqrt(v + eps) + beta.
void add_folded_conv(weights::WeightWriter& out, const std::string& name, const std::vector<std::int64_t>& oihw_shape,
                     const std::vector<float>& oihw, const std::vector<float>& conv_bias, const BatchNorm& bn);

// A Keras ResNet50 exported as a TF.js layers model: model.json and its
// weight shards (read in the manifest's order). Labels: labels.json, an
// object {"0": "tench", ...} or an array.
weights::WeightWriter convert_tfjs(const std::filesystem::path& model_json, weights::ModelDescription& description);

// A torchvision ResNet state dict saved with safetensors (ResNet v1.5).
weights::WeightWriter convert_safetensors(const std::filesystem::path& file, weights::ModelDescription& description);

std::vector<std::string> read_labels(const std::filesystem::path& labels_json);

// The element count of a tensor shape from an untrusted file: every dimension
// non-negative and the product at most `limit` (no overflow). Throws with `context`.
std::size_t element_count(const std::vector<std::int64_t>& shape, std::size_t limit, const std::string& context);

}  // namespace aoi::convert
