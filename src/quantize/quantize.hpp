// `aoi quantize`: a float32 weight file to one of reduced precision.
//  - int8: every bottleneck convolution's weights to s8 with one step per
//    output channel (symmetric, within +-kernels::kQWeightMax), and its
//    input's u8 step calibrated on images (Calibration); the stem, whose
//    input is signed, and the classifier stay float32.
//  - bf16: every convolution's and the classifier's weights rounded to
//    bfloat16 (nearest even); biases stay float32.
// The file records its precision, and in "quantization" how it was made
// (weights/FORMAT.md).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "nn/trunk.hpp"
#include "quantize/activation_range.hpp"
#include "weights/weight_file.hpp"

namespace aoi::quantize {

// Collects every bottleneck convolution's input over the calibration images
// through EngineOptions::conv_inputs.
class Calibration {
 public:
  nn::ConvInputTap tap();  // safe to call from several threads at once
  // The u8 input step of every bottleneck convolution, by tensor prefix
  // ("layer1.0.conv1", ..., "layer2.0.downsample"): conv1's and the
  // downsample's from the block input, conv2's and conv3's from conv1's and
  // conv2's outputs. Throws if a layer of `trunk` saw no input.
  std::map<std::string, float> input_steps(const nn::Trunk& trunk) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, ActivationRange> ranges_;  // by the reading conv's prefix
};

struct CalibrationFacts {
  std::string manifest;     // the file's name, for people
  std::size_t images = 0;   // images calibrated on
  std::size_t skipped = 0;  // manifest items that could not be read
};

// The int8 file's tensors and header. `in` must be float32.
weights::WeightWriter quantize_int8(const weights::WeightFile& in, const std::map<std::string, float>& input_steps);
weights::WeightWriter quantize_bf16(const weights::WeightFile& in);
// `in`'s description with the precision and how it was made.
weights::ModelDescription quantized_description(const weights::WeightFile& in, const std::string& precision,
                                                const CalibrationFacts* calibration);

}  // namespace aoi::quantize
