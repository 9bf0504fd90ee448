#include "aoi/nn/packed_trunk.hpp"

#include <algorithm>

#include "aoi/core/error.hpp"
#include "aoi/kernels/pool_nhwc.hpp"

namespace aoi::nn {
namespace {

int pooled(int size) { return (size + 2 * Trunk::kPoolPad - Trunk::kPoolKernel) / Trunk::kPoolStride + 1; }

kernels::PackedConv pack(const Conv2d& c, int size, kernels::Isa isa) {
  return kernels::PackedConv({c.in_channels(), c.out_channels(), c.kernel(), c.stride(), c.pad()}, c.weight(),
                             c.bias(), isa, kernels::choose_algorithm({c.in_channels(), c.out_channels(), c.kernel(), c.stride(), c.pad()}, size, size, isa));
}

}  // namespace

PackedTrunk::PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size)
    : isa_(isa), input_size_(input_size), feature_dim_(trunk.feature_dim()) {
  require(input_size >= 32, ErrorKind::kInvalidArgument, "trunk", "input must be at least 32x32");
  auto visit = [&](const kernels::PackedConv& conv, int size) {
    const int out = conv.spec().out_size(size);
    plan_.activation = std::max(plan_.activation, std::size_t(out) * out * conv.spec().out_channels);
    plan_.per_slot = std::max(plan_.per_slot, conv.scratch_floats(size, size));
    return out;
  };
  int size = input_size;
  stem_.emplace(pack(trunk.stem(), size, isa));
  size = pooled(visit(*stem_, size));
  for (const auto& stage : trunk.stages()) {
    std::vector<Block> blocks;
    for (const auto& b : stage) {
      Block p{pack(b.conv1, size, isa), pack(b.conv2, b.conv1.geometry(size, size).out_height(), isa),
              pack(b.conv3, b.conv2.geometry(size, size).out_height(), isa), std::nullopt};
      if (b.downsample) {
        p.downsample.emplace(pack(*b.downsample, size, isa));
        visit(*p.downsample, size);
      }
      const int s1 = visit(p.conv1, size), s2 = visit(p.conv2, s1);
      size = visit(p.conv3, s2);
      blocks.push_back(std::move(p));
    }
    stages_.push_back(std::move(blocks));
  }
  plan_.activation = std::max(plan_.activation, std::size_t(3) * input_size * input_size);
}

int PackedTrunk::winograd_layers() const {
  int n = 0;
  for (const auto& stage : stages_)
    for (const auto& b : stage) n += b.conv2.algorithm() != kernels::ConvAlgorithm::kGemm;
  return n;
}

std::size_t PackedTrunk::workspace_floats(int slots) const {
  // Input, four rotating activations, a tap buffer and per-slot scratch; each
  // rounded to whole cache lines so every area starts 64-byte aligned.
  auto lines = [](std::size_t n) { return (n + 15) / 16 * 16; };
  return 6 * lines(plan_.activation) + std::size_t(slots) * lines(plan_.per_slot);
}

void PackedTrunk::forward(const float* image, float* features, float* workspace, int slots,
                          const StageTap& tap) const {
  auto lines = [](std::size_t n) { return (n + 15) / 16 * 16; };
  const std::size_t act = lines(plan_.activation);
  float* input = workspace;
  float* x = input + act;
  float* t1 = x + act;
  float* t2 = t1 + act;
  float* y = t2 + act;
  float* tap_buffer = y + act;
  kernels::Scratch scratch;
  scratch.data = tap_buffer + act;
  scratch.floats_per_slot = lines(plan_.per_slot);
  scratch.slots = slots;

  int size = input_size_;
  kernels::nchw_to_nhwc(image, 3, size, size, input);
  stem_->forward(input, size, size, t1, nullptr, true, scratch);
  size = stem_->spec().out_size(size);
  int channels = stem_->spec().out_channels;
  kernels::max_pool_nhwc(t1, size, size, channels, Trunk::kPoolKernel, Trunk::kPoolStride, Trunk::kPoolPad, x);
  size = pooled(size);
  auto emit = [&](int stage) {
    if (!tap) return;
    kernels::nhwc_to_nchw(x, size, size, channels, tap_buffer);
    tap(stage, tap_buffer, channels, size, size);
  };
  emit(0);
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    for (const auto& b : stages_[s]) {
      b.conv1.forward(x, size, size, t1, nullptr, true, scratch);
      const int s1 = b.conv1.spec().out_size(size);
      b.conv2.forward(t1, s1, s1, t2, nullptr, true, scratch);
      const int s2 = b.conv2.spec().out_size(s1);
      const float* identity = x;
      if (b.downsample) {
        b.downsample->forward(x, size, size, t1, nullptr, false, scratch);  // t1 is free again
        identity = t1;
      }
      b.conv3.forward(t2, s2, s2, y, identity, true, scratch);
      std::swap(x, y);
      size = s2, channels = b.conv3.spec().out_channels;
    }
    emit(int(s) + 1);
  }
  kernels::global_average_pool_nhwc(x, size * size, channels, features);
}

}  // namespace aoi::nn
