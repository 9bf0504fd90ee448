// The ResNet trunk of a bf16 weight file (`aoi quantize --precision bf16`)
// on aoi's bf16 kernels, where the CPU has bfloat16 arithmetic. As the int8
// trunk (nn/quantized_trunk.hpp): the stem stays float32 (on the file's
// bf16-valued weights); every bottleneck convolution reads bf16 activations
// and writes what its consumers read, rounded in its epilogue: conv1 and
// conv2 write bf16; conv3 adds the identity in float32 and writes the block
// output in float32 (the residual stream, the taps and the pooled features)
// and in bf16 (the next block's input). One workspace, nothing allocated
// per image.
#pragma once

#include <optional>
#include <vector>

#include "kernels/bf16_conv.hpp"
#include "nn/packed_trunk.hpp"
#include "nn/trunk.hpp"

namespace aoi::nn {

class Bf16Trunk {
 public:
  // `trunk` from a bf16 file; `isa` must have bf16 kernels (bf16_native).
  Bf16Trunk(const Trunk& trunk, kernels::Isa isa, int input_size);

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
    kernels::Bf16Conv conv1, conv2, conv3;
    std::optional<kernels::Bf16Conv> downsample;
  };
  struct Plan {
    std::size_t input = 0, activation = 0, halves = 0, per_slot = 0;  // floats, floats, bf16 values, floats
  };
  kernels::Isa isa_;
  int input_size_, stem_pad_ = 0, feature_dim_;
  std::optional<kernels::PackedConv> stem_;
  std::vector<std::vector<Block>> stages_;
  Plan plan_;
};

}  // namespace aoi::nn
