// The ResNet trunk on aoi's own kernels: every layer of a Trunk re-packed once
// for one instruction set and one input size, activations in NHWC, and a
// static memory plan: one workspace of workspace_floats() holds the input,
// every activation and per-thread scratch (patch rows, Winograd blocks), so a
// forward pass allocates nothing.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "kernels/packed_conv.hpp"
#include "nn/trunk.hpp"

namespace aoi::nn {


class PackedTrunk {
 public:
  // Packs every convolution of `trunk` (which must outlive nothing: the packed
  // copies are owned here) for square inputs of `input_size`.
  // With `source` (the file the trunk's weights lie in), each layer's weights
  // are read through it (a file that shrinks under the process is an error,
  // not SIGBUS) and their pages released once packed, so raw and packed
  // weights are never resident together.
  // `compact_weights`: kernels::choose_algorithm's compact choice, for
  // every layer.
  PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, const weights::WeightFile* source = nullptr,
              bool compact_weights = false);
  // Over weights packed earlier by a PackedTrunk of the same trunk, ISA and
  // input size and choice of compact weights (its packed_buffers(), e.g.
  // mapped from a PackFile), which
  // must outlive this one. Throws kBadWeights if they do not fit the layers,
  // or, given `check` (the trunk's weight file), if the small layers packed
  // again from it differ (a pack from a build with another layout).
  PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, std::span<const std::span<const float>> packed,
              const weights::WeightFile* check = nullptr, bool compact_weights = false);
  // Every layer's packed form, in a fixed order: the stem, then block by
  // block conv1, conv2, conv3 and the downsample; two buffers a layer.
  std::vector<std::span<const float>> packed_buffers() const;

  kernels::Isa isa() const { return isa_; }
  int input_size() const { return input_size_; }
  int feature_dim() const { return feature_dim_; }
  // Workspace floats for one forward pass run by up to `slots` threads.
  std::size_t workspace_floats(int slots) const;

  // One image (3 x input_size x input_size, NCHW as prepared by Engine) to
  // feature_dim features. Must run inside a TBB arena of at most `slots`
  // threads. The tap, when set, sees each stage's activation in NCHW; the
  // timer, when set, each step's time (unset, no clock is read).
  void forward(const float* image, float* features, float* workspace, int slots, const StageTap& tap = {},
               const StepTimer& timer = {}, const ConvInputTap& inputs = {}) const;

 private:
  PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, const weights::WeightFile* source,
              std::span<const std::span<const float>> packed, bool compact_weights);
  struct Block {
    kernels::PackedConv conv1, conv2, conv3;
    std::optional<kernels::PackedConv> downsample;
    int conv1_border = 0;  // zero border conv1 writes, conv2's padding (conv2 then built with pad 0)
  };
  struct Plan {
    std::size_t input = 0, activation = 0, per_slot = 0;
  };
  // x, t1, t2 (t2 doubles as the tap's NCHW buffer between stages); the
  // padded input has an area of its own, of its own size.
  static constexpr int kActivationAreas = 3;

  kernels::Isa isa_;
  int input_size_;
  int stem_pad_ = 0;  // zero border added to the input for the stem
  int feature_dim_;
  std::optional<kernels::PackedConv> stem_;
  std::vector<std::vector<Block>> stages_;
  Plan plan_;
};

}  // namespace aoi::nn
