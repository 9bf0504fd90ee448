// A small torchvision-style ResNet with random weights: written as a
// safetensors state dict (to exercise the converter) and evaluated by a naive
// float64 forward pass with batch norm unfolded (the reference).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "weights/weight_file.hpp"

namespace aoi::test {

struct StateTensor {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};
using StateDict = std::map<std::string, StateTensor>;

struct TinyResNetSpec {
  std::vector<int> blocks{2, 1, 1, 1};
  std::vector<int> widths{4, 8, 8, 16};  // bottleneck mid channels per stage; outputs are 4x
  int stem = 8;
  int classes = 5;
  unsigned seed = 1;
};

StateDict make_torchvision_state(const TinyResNetSpec& spec);
void write_safetensors(const std::filesystem::path& path, const StateDict& state);

// Features (global average pool) of one 3 x h x w input, torchvision v1.5 semantics.
std::vector<double> reference_forward(const StateDict& state, const TinyResNetSpec& spec, const std::vector<float>& input,
                                      int h, int w);

// Converts the state through aoi-convert's library into a weight file of the
// given input size (small, so tests run fast).
std::vector<std::uint8_t> tiny_weight_file(const TinyResNetSpec& spec, int input_size,
                                           const std::filesystem::path& scratch_dir);

// The same for any state dict (tests that alter a tensor).
std::vector<std::uint8_t> weight_file_of_state(const StateDict& state, int classes, int input_size,
                                               const std::filesystem::path& scratch_dir);

}  // namespace aoi::test
