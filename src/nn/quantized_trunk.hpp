// The ResNet trunk of an int8 weight file (`aoi quantize`) on aoi's int8
// kernels. The stem stays float32 (its input, the normalised image, is
// signed); every bottleneck convolution reads u8 activations and writes what
// its consumers read, fused in its epilogue: conv1 and conv2 write u8 for
// the next convolution; conv3 adds the identity in float32 and writes the
// block output twice, float32 (the residual stream, the stage taps and the
// pooled features, so rounding does not accumulate along the identity path)
// and u8 (the next block's input). Same interface and memory plan style as
// PackedTrunk: one workspace, nothing allocated per image.
#pragma once

#include <optional>
#include <vector>

#include "kernels/int8_conv.hpp"
#include "nn/packed_trunk.hpp"
#include "nn/trunk.hpp"

namespace aoi::nn {

class QuantizedTrunk {
 public:
  // `trunk` must come from an int8 file: every bottleneck layer quantized.
  // With `source` (the file the trunk reads), each layer's pages of it leave
  // the resident set once packed, so raw and packed weights are never
  // resident together (WeightFile::release_pages).
  QuantizedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, const weights::WeightFile* source = nullptr);

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
    kernels::QuantizedConv conv1, conv2, conv3;
    std::optional<kernels::QuantizedConv> downsample;
  };
  struct Plan {
    std::size_t input = 0, activation = 0, bytes = 0, per_slot = 0;  // floats, floats, u8 bytes, floats
  };
  kernels::Isa isa_;
  int input_size_, stem_pad_ = 0, feature_dim_;
  std::optional<kernels::PackedConv> stem_;
  std::vector<std::vector<Block>> stages_;
  Plan plan_;
};

}  // namespace aoi::nn
