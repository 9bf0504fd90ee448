// The ResNet trunk of a reduced-precision weight file (`aoi quantize`): int8
// (QuantizedTrunk) or bf16 (Bf16Trunk, where the path has bfloat16
// arithmetic). Both lay the network out alike:
// - the stem stays float32 (int8: its input, the normalised image, is
//   signed; bf16: on the file's bf16-valued weights);
// - every bottleneck convolution reads low-precision activations and
//   writes what its consumers read, rounded in its epilogue: conv1 and
//   conv2 write low precision for the next convolution; conv3 adds the
//   identity in float32 and writes the block output twice, float32 (the
//   residual stream, the stage taps and the pooled features, so rounding
//   does not accumulate along the identity path) and low precision (the
//   next block's input).
// Same interface and memory plan style as PackedTrunk: one workspace,
// nothing allocated per image. What differs per precision is a policy:
// Int8Precision and Bf16Precision below.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/bf16_conv.hpp"
#include "kernels/int8_conv.hpp"
#include "nn/packed_trunk.hpp"
#include "nn/trunk.hpp"

namespace aoi::nn {

// u8 activations, s8 weights with calibrated steps (kernels/int8_conv.hpp).
struct Int8Precision {
  using Conv = kernels::QuantizedConv;
  using Element = std::uint8_t;
  static constexpr const char* kConvertStep = "quantize";
  // Each layer's pages of `source` leave the resident set once packed, so
  // raw and packed weights are never resident together.
  static Conv make(const Conv2d& layer, kernels::Isa isa, const weights::WeightFile* source);
  // The projection reads the block input as conv1 does: the same step.
  static void check_downsample(const Conv& downsample, const Conv& conv1, const Conv2d& layer);
  // x (float32, the max pool's output) to the first convolution's input.
  static void convert(const float* x, std::size_t count, const Conv& first, Element* out);
  // A convolution's output: float32 and/or low precision for `next` to read.
  static Conv::Output output(float* f32, Element* low, const Conv* next);
};

// bf16 activations and weights, float32 sums (kernels/bf16_conv.hpp). Packs
// each layer's bf16 values in place: the float32 copies the float paths
// read are never made, and with `source` the layer's pages are released.
struct Bf16Precision {
  using Conv = kernels::Bf16Conv;
  using Element = std::uint16_t;
  static constexpr const char* kConvertStep = "narrow";
  static Conv make(const Conv2d& layer, kernels::Isa isa, const weights::WeightFile* source);
  static void check_downsample(const Conv&, const Conv&, const Conv2d&) {}
  static void convert(const float* x, std::size_t count, const Conv& first, Element* out);
  static Conv::Output output(float* f32, Element* low, const Conv* next);
};

template <typename Precision>
class ReducedTrunk {
 public:
  using Conv = typename Precision::Conv;
  using Element = typename Precision::Element;

  // `trunk` must come from a file of this precision. With `source` (the
  // file the trunk reads), the precision may release its pages as it packs.
  ReducedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, const weights::WeightFile* source = nullptr);

  kernels::Isa isa() const { return isa_; }
  int input_size() const { return input_size_; }
  int feature_dim() const { return feature_dim_; }
  std::size_t workspace_floats(int slots) const;
  std::size_t packed_weight_bytes() const;

  // As PackedTrunk::forward: one image (3 x size x size NCHW) to features;
  // the tap sees each stage's float32 activation in NCHW.
  void forward(const float* image, float* features, float* workspace, int slots, const StageTap& tap = {},
               const StepTimer& timer = {}) const;

 private:
  struct Block {
    Conv conv1, conv2, conv3;
    std::optional<Conv> downsample;
  };
  struct Plan {
    // floats, floats, low-precision values, floats
    std::size_t input = 0, activation = 0, values = 0, per_slot = 0;
  };
  kernels::Isa isa_;
  int input_size_, stem_pad_ = 0, feature_dim_;
  std::optional<kernels::PackedConv> stem_;
  std::vector<std::vector<Block>> stages_;
  Plan plan_;
};

using QuantizedTrunk = ReducedTrunk<Int8Precision>;
using Bf16Trunk = ReducedTrunk<Bf16Precision>;  // on a path where kernels::bf16_native(isa)

}  // namespace aoi::nn
