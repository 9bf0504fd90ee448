#include "nn/reduced_trunk.hpp"

#include <algorithm>
#include <type_traits>

#include "core/bf16.hpp"
#include "core/parallel.hpp"
#include "core/require.hpp"
#include "kernels/pool_nhwc.hpp"
#include "nn/trunk_front.hpp"

namespace aoi::nn {
namespace {

std::size_t whole_lines(std::size_t floats) { return (floats + 15) / 16 * 16; }

kernels::ConvSpec spec_of(const Conv2d& c) {
  return {c.in_channels(), c.out_channels(), c.kernel(), c.stride(), c.pad()};
}

// An elementwise conversion of a float32 activation, in parallel chunks.
template <typename Element, typename Convert>
void convert_activation(const float* x, std::size_t count, Element* out, Convert&& convert) {
  constexpr std::size_t kChunk = 1 << 14;
  par::for_each_index(0, int((count + kChunk - 1) / kChunk), [&](int chunk) {
    const std::size_t begin = std::size_t(chunk) * kChunk, n = std::min(count, begin + kChunk) - begin;
    // Locals, not the captured references: a store through Element (a byte
    // type for int8) may alias them, which would reload them every value
    // and keep the loop from vectorizing.
    const float* in = x + begin;
    Element* to = out + begin;
    const std::remove_cvref_t<Convert> f = convert;
    for (std::size_t i = 0; i < n; ++i) to[i] = f(in[i]);
  });
}

}  // namespace

Int8Precision::Conv Int8Precision::make(const Conv2d& c, kernels::Isa isa, const weights::WeightFile* source) {
  require(c.quantized(), ErrorKind::kBadWeights, c.name(), "this layer of an int8 trunk holds float weights");
  const auto& q = c.quantized_weights();
  Conv packed(spec_of(c), q.weight, q.weight_scale, c.bias(), q.input_scale, isa);
  if (source) source->release_pages(q.weight);
  return packed;
}

void Int8Precision::check_downsample(const Conv& downsample, const Conv& conv1, const Conv2d& layer) {
  require(downsample.input_scale() == conv1.input_scale(), ErrorKind::kBadWeights, layer.name(),
          "reads the block input as conv1 does, so its input scale must be conv1's");
}

void Int8Precision::convert(const float* x, std::size_t count, const Conv& first, Element* out) {
  const float inv = 1.0f / first.input_scale();
  convert_activation(x, count, out, [inv](float v) { return kernels::q_requantize(v, inv); });
}

Int8Precision::Conv::Output Int8Precision::output(float* f32, Element* low, const Conv* next) {
  return {f32, next ? low : nullptr, next ? next->input_scale() : 1.0f};
}

Bf16Precision::Conv Bf16Precision::make(const Conv2d& c, kernels::Isa isa, const weights::WeightFile* source) {
  require(!c.bf16_weight().empty(), ErrorKind::kBadWeights, c.name(), "this layer of a bf16 trunk holds no bf16 weights");
  Conv packed(spec_of(c), c.bf16_weight(), c.bias(), isa);
  if (source) source->release_pages(c.bf16_weight());
  return packed;
}

void Bf16Precision::convert(const float* x, std::size_t count, const Conv&, Element* out) {
  convert_activation(x, count, out, [](float v) { return narrow_bf16(v); });
}

Bf16Precision::Conv::Output Bf16Precision::output(float* f32, Element* low, const Conv* next) {
  return {f32, next ? low : nullptr};
}

template <typename Precision>
ReducedTrunk<Precision>::ReducedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size,
                                      const weights::WeightFile* source)
    : isa_(isa), input_size_(input_size), feature_dim_(trunk.feature_dim()) {
  require(input_size >= 32, ErrorKind::kInvalidArgument, "trunk", "input must be at least 32x32");
  const Conv2d& stem = trunk.stem();
  require(!stem.quantized(), ErrorKind::kBadWeights, stem.name(), "the stem of a reduced-precision trunk is float32");
  stem_pad_ = stem.pad();
  int size = input_size + 2 * stem_pad_;
  const kernels::ConvSpec stem_spec{stem.in_channels(), stem.out_channels(), stem.kernel(), stem.stride(), 0};
  stem_.emplace(stem_spec, stem.weight(), stem.bias(), isa, kernels::choose_algorithm(stem_spec, size, size));
  plan_.input = std::size_t(3) * size * size;
  plan_.per_slot = stem_->scratch_floats(size, size);
  size = stem_spec.out_size(size);
  plan_.activation = std::size_t(size) * size * stem.out_channels();
  size = Trunk::pooled_size(size);
  auto grow = [&](const Conv& c, int in_size) {
    const int out = c.spec().out_size(in_size);
    const std::size_t values = std::size_t(out) * out * c.spec().out_channels;
    plan_.activation = std::max(plan_.activation, values);
    plan_.values = std::max(plan_.values, std::max(values, std::size_t(in_size) * in_size * c.spec().in_channels));
    plan_.per_slot = std::max(plan_.per_slot, (c.scratch_bytes(in_size, in_size) + 3) / 4);
  };
  // The layers are packed side by side, each one task: packing is most of a
  // start, and a layer needs nothing of another.
  std::vector<const Conv2d*> convs;
  for (const auto& stage : trunk.stages())
    for (const auto& b : stage) {
      convs.insert(convs.end(), {&b.conv1, &b.conv2, &b.conv3});
      if (b.downsample) convs.push_back(&*b.downsample);
    }
  std::vector<std::optional<Conv>> made(convs.size());
  par::for_each_index(0, int(convs.size()), [&](int i) { made[i].emplace(Precision::make(*convs[i], isa, source)); });
  std::size_t next = 0;
  auto take = [&] { return std::move(*made[next++]); };
  for (const auto& stage : trunk.stages()) {
    std::vector<Block> blocks;
    for (const auto& b : stage) {
      Block q{take(), take(), take(), std::nullopt};
      if (b.downsample) {
        q.downsample.emplace(take());
        Precision::check_downsample(*q.downsample, q.conv1, *b.downsample);
      }
      const int s1 = q.conv1.spec().out_size(size), s2 = q.conv2.spec().out_size(s1);
      grow(q.conv1, size), grow(q.conv2, s1), grow(q.conv3, s2);
      if (q.downsample) grow(*q.downsample, size);
      size = q.conv3.spec().out_size(s2);
      blocks.push_back(std::move(q));
    }
    stages_.push_back(std::move(blocks));
  }
}

template <typename Precision>
std::size_t ReducedTrunk<Precision>::packed_weight_bytes() const {
  std::size_t bytes = 0;
  for (const auto& stage : stages_)
    for (const auto& b : stage) {
      bytes += b.conv1.packed_weight_bytes() + b.conv2.packed_weight_bytes() + b.conv3.packed_weight_bytes();
      if (b.downsample) bytes += b.downsample->packed_weight_bytes();
    }
  return bytes + stem_->packed_weight_bytes();
}

template <typename Precision>
std::size_t ReducedTrunk<Precision>::workspace_floats(int slots) const {
  // The input; two float32 activations (x and the projection r); three
  // low-precision activations (the block input, conv1's and conv2's
  // outputs); per-slot scratch.
  const std::size_t low = whole_lines((plan_.values * sizeof(Element) + 3) / 4);
  return whole_lines(plan_.input) + 2 * whole_lines(plan_.activation) + 3 * low +
         std::size_t(slots) * whole_lines(plan_.per_slot);
}

template <typename Precision>
void ReducedTrunk<Precision>::forward(const float* image, float* features, float* workspace, int slots,
                                      const StageTap& tap, const StepTimer& timer) const {
  const std::size_t act = whole_lines(plan_.activation);
  const std::size_t low = whole_lines((plan_.values * sizeof(Element) + 3) / 4);
  float* input = workspace;
  float* x = input + whole_lines(plan_.input);
  float* r = x + act;
  auto* xq = reinterpret_cast<Element*>(r + act);
  auto* t1 = reinterpret_cast<Element*>(r + act + low);
  auto* t2 = reinterpret_cast<Element*>(r + act + 2 * low);
  const kernels::Scratch scratch{r + act + 3 * low, whole_lines(plan_.per_slot), slots};
  auto step = [&](const char* layer, int stage, int block, auto&& run) {
    timed_step(timer, {layer, stage, block}, run);
  };
  const FrontOutput front = run_front(*stem_, stem_pad_, image, input_size_, input, r, x, scratch, timer);
  int size = front.size, channels = front.channels;
  step(Precision::kConvertStep, 0, 0,
       [&] { Precision::convert(x, std::size_t(size) * size * channels, stages_[0][0].conv1, xq); });
  auto emit = [&](int stage) { tap_stage(tap, stage, x, size, channels, r); };  // r: nothing the next block reads
  emit(0);
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    const int stage = int(s) + 2;
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      const Block& b = stages_[s][i];
      const int block = int(i);
      step("conv1", stage, block, [&] {
        b.conv1.forward(xq, size, size, Precision::output(nullptr, t1, &b.conv2), nullptr, true, scratch);
      });
      const int s1 = b.conv1.spec().out_size(size);
      step("conv2", stage, block, [&] {
        b.conv2.forward(t1, s1, s1, Precision::output(nullptr, t2, &b.conv3), nullptr, true, scratch);
      });
      const int s2 = b.conv2.spec().out_size(s1);
      // The next block's input, written over xq (no longer read here once
      // the projection has run): none after the last block.
      const Block* next = i + 1 < stages_[s].size() ? &stages_[s][i + 1]
                          : s + 1 < stages_.size()   ? &stages_[s + 1][0]
                                                     : nullptr;
      const Conv* next_conv = next ? &next->conv1 : nullptr;
      if (b.downsample) {
        step("downsample", stage, block, [&] {
          b.downsample->forward(xq, size, size, Precision::output(r, nullptr, nullptr), nullptr, false, scratch);
        });
        step("conv3", stage, block,
             [&] { b.conv3.forward(t2, s2, s2, Precision::output(r, xq, next_conv), r, true, scratch); });
        std::swap(x, r);
      } else {
        step("conv3", stage, block,
             [&] { b.conv3.forward(t2, s2, s2, Precision::output(x, xq, next_conv), x, true, scratch); });
      }
      size = s2, channels = b.conv3.spec().out_channels;
    }
    emit(int(s) + 1);
  }
  step("global_pool", 0, 0, [&] { kernels::global_average_pool_nhwc(x, size * size, channels, features); });
}

template class ReducedTrunk<Int8Precision>;
template class ReducedTrunk<Bf16Precision>;

}  // namespace aoi::nn
