#include "nn/bf16_trunk.hpp"

#include <algorithm>

#include "core/bf16.hpp"
#include "core/parallel.hpp"
#include "core/require.hpp"
#include "kernels/pool_nhwc.hpp"
#include "nn/trunk_front.hpp"

namespace aoi::nn {
namespace {

std::size_t whole_lines(std::size_t floats) { return (floats + 15) / 16 * 16; }

kernels::Bf16Conv packed_bf16(const Conv2d& c, kernels::Isa isa) {
  require(!c.quantized(), ErrorKind::kBadWeights, c.name(), "this layer of a bf16 trunk holds int8 weights");
  return kernels::Bf16Conv({c.in_channels(), c.out_channels(), c.kernel(), c.stride(), c.pad()}, c.weight(), c.bias(),
                           isa);
}

// x (float32, the max pool's output) to bf16.
void narrow_activation(const float* x, std::size_t count, std::uint16_t* out) {
  constexpr std::size_t kChunk = 1 << 14;
  par::for_each_index(0, int((count + kChunk - 1) / kChunk), [&](int chunk) {
    const std::size_t begin = std::size_t(chunk) * kChunk, end = std::min(count, begin + kChunk);
    for (std::size_t i = begin; i < end; ++i) out[i] = narrow_bf16(x[i]);
  });
}

}  // namespace

Bf16Trunk::Bf16Trunk(const Trunk& trunk, kernels::Isa isa, int input_size)
    : isa_(isa), input_size_(input_size), feature_dim_(trunk.feature_dim()) {
  require(input_size >= 32, ErrorKind::kInvalidArgument, "trunk", "input must be at least 32x32");
  const Conv2d& stem = trunk.stem();
  stem_pad_ = stem.pad();
  int size = input_size + 2 * stem_pad_;
  const kernels::ConvSpec stem_spec{stem.in_channels(), stem.out_channels(), stem.kernel(), stem.stride(), 0};
  stem_.emplace(stem_spec, stem.weight(), stem.bias(), isa, kernels::choose_algorithm(stem_spec, size, size));
  plan_.input = std::size_t(3) * size * size;
  plan_.per_slot = stem_->scratch_floats(size, size);
  size = stem_spec.out_size(size);
  plan_.activation = std::size_t(size) * size * stem.out_channels();
  size = Trunk::pooled_size(size);
  auto grow = [&](const kernels::Bf16Conv& c, int in_size) {
    const int out = c.spec().out_size(in_size);
    const std::size_t values = std::size_t(out) * out * c.spec().out_channels;
    plan_.activation = std::max(plan_.activation, values);
    plan_.halves = std::max(plan_.halves, std::max(values, std::size_t(in_size) * in_size * c.spec().in_channels));
    plan_.per_slot = std::max(plan_.per_slot, (c.scratch_bytes(in_size, in_size) + 3) / 4);
  };
  // Packed side by side, a layer per task, as the other trunks.
  std::vector<const Conv2d*> convs;
  for (const auto& stage : trunk.stages())
    for (const auto& b : stage) {
      convs.insert(convs.end(), {&b.conv1, &b.conv2, &b.conv3});
      if (b.downsample) convs.push_back(&*b.downsample);
    }
  std::vector<std::optional<kernels::Bf16Conv>> made(convs.size());
  par::for_each_index(0, int(convs.size()), [&](int i) { made[i].emplace(packed_bf16(*convs[i], isa)); });
  std::size_t next = 0;
  auto take = [&] { return std::move(*made[next++]); };
  for (const auto& stage : trunk.stages()) {
    std::vector<Block> blocks;
    for (const auto& b : stage) {
      Block q{take(), take(), take(), std::nullopt};
      if (b.downsample) q.downsample.emplace(take());
      const int s1 = q.conv1.spec().out_size(size), s2 = q.conv2.spec().out_size(s1);
      grow(q.conv1, size), grow(q.conv2, s1), grow(q.conv3, s2);
      if (q.downsample) grow(*q.downsample, size);
      size = q.conv3.spec().out_size(s2);
      blocks.push_back(std::move(q));
    }
    stages_.push_back(std::move(blocks));
  }
}

std::size_t Bf16Trunk::packed_weight_bytes() const {
  std::size_t bytes = 0;
  for (const auto& stage : stages_)
    for (const auto& b : stage) {
      bytes += b.conv1.packed_weight_bytes() + b.conv2.packed_weight_bytes() + b.conv3.packed_weight_bytes();
      if (b.downsample) bytes += b.downsample->packed_weight_bytes();
    }
  return bytes + stem_->packed_weight_bytes();
}

std::size_t Bf16Trunk::workspace_floats(int slots) const {
  // The input; two float32 activations (x and the projection r); three bf16
  // activations (the block input, conv1's and conv2's outputs); per-slot scratch.
  return whole_lines(plan_.input) + 2 * whole_lines(plan_.activation) + 3 * whole_lines((plan_.halves + 1) / 2) +
         std::size_t(slots) * whole_lines(plan_.per_slot);
}

void Bf16Trunk::forward(const float* image, float* features, float* workspace, int slots, const StageTap& tap,
                        const StepTimer& timer) const {
  const std::size_t act = whole_lines(plan_.activation), halves = whole_lines((plan_.halves + 1) / 2);
  float* input = workspace;
  float* x = input + whole_lines(plan_.input);
  float* r = x + act;
  auto* xb = reinterpret_cast<std::uint16_t*>(r + act);
  auto* t1 = reinterpret_cast<std::uint16_t*>(r + act + halves);
  auto* t2 = reinterpret_cast<std::uint16_t*>(r + act + 2 * halves);
  kernels::Scratch scratch;
  scratch.data = r + act + 3 * halves;
  scratch.floats_per_slot = whole_lines(plan_.per_slot);
  scratch.slots = slots;
  auto step = [&](const char* layer, int stage, int block, auto&& run) {
    timed_step(timer, {layer, stage, block}, run);
  };
  const FrontOutput front = run_front(*stem_, stem_pad_, image, input_size_, input, r, x, scratch, timer);
  int size = front.size, channels = front.channels;
  step("narrow", 0, 0, [&] { narrow_activation(x, std::size_t(size) * size * channels, xb); });
  auto emit = [&](int stage) { tap_stage(tap, stage, x, size, channels, r); };  // r: nothing the next block reads
  emit(0);
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    const int stage = int(s) + 2;
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      const Block& b = stages_[s][i];
      const int block = int(i);
      step("conv1", stage, block, [&] { b.conv1.forward(xb, size, size, {nullptr, t1}, nullptr, true, scratch); });
      const int s1 = b.conv1.spec().out_size(size);
      step("conv2", stage, block, [&] { b.conv2.forward(t1, s1, s1, {nullptr, t2}, nullptr, true, scratch); });
      const int s2 = b.conv2.spec().out_size(s1);
      // The next block's input in bf16, written over xb (no longer read
      // once the projection has run): none after the last block.
      const bool last = i + 1 == stages_[s].size() && s + 1 == stages_.size();
      std::uint16_t* next = last ? nullptr : xb;
      if (b.downsample) {
        step("downsample", stage, block,
             [&] { b.downsample->forward(xb, size, size, {r, nullptr}, nullptr, false, scratch); });
        step("conv3", stage, block, [&] { b.conv3.forward(t2, s2, s2, {r, next}, r, true, scratch); });
        std::swap(x, r);
      } else {
        step("conv3", stage, block, [&] { b.conv3.forward(t2, s2, s2, {x, next}, x, true, scratch); });
      }
      size = s2, channels = b.conv3.spec().out_channels;
    }
    emit(int(s) + 1);
  }
  step("global_pool", 0, 0, [&] { kernels::global_average_pool_nhwc(x, size * size, channels, features); });
}

}  // namespace aoi::nn
