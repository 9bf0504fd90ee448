#include "nn/packed_trunk.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "core/require.hpp"
#include "kernels/pool_nhwc.hpp"
#include "nn/trunk_front.hpp"

namespace aoi::nn {
namespace {

// A layer's shape, optionally for an input that already carries its zero
// padding.
kernels::ConvSpec spec_of(const Conv2d& c, bool padded_input = false) {
  return {c.in_channels(), c.out_channels(), c.kernel(), c.stride(), padded_input ? 0 : c.pad()};
}

// Packs one layer for inputs of size x size (which picks its algorithm).
kernels::PackedConv pack(const Conv2d& c, int size, kernels::Isa isa, bool padded_input, bool compact,
                         std::span<const float> weight, std::span<const float> bias) {
  const kernels::ConvSpec spec = spec_of(c, padded_input);
  return kernels::PackedConv(spec, weight, bias, isa, kernels::choose_algorithm(spec, size, size, compact));
}

// The first layers are re-packed to check a pack made elsewhere: in
// ResNet-50 the stem and res2's ten, which hold every kind of layout (GEMM
// panels for 7x7 and 1x1, Winograd points) in about 1 MB of weights.
constexpr int kCheckedLayers = 11;

// Every area of the workspace starts on a 64-byte line.
std::size_t whole_lines(std::size_t floats) { return (floats + 15) / 16 * 16; }

}  // namespace

PackedTrunk::PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, const weights::WeightFile* source,
                         bool compact_weights)
    : PackedTrunk(trunk, isa, input_size, source, {}, compact_weights) {}

PackedTrunk::PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size,
                         std::span<const std::span<const float>> packed, const weights::WeightFile* check,
                         bool compact_weights)
    : PackedTrunk(trunk, isa, input_size, check, packed, compact_weights) {
  require(!packed.empty(), ErrorKind::kInvalidArgument, "trunk", "no packed weights given");
}

PackedTrunk::PackedTrunk(const Trunk& trunk, kernels::Isa isa, int input_size, const weights::WeightFile* source,
                         std::span<const std::span<const float>> packed, bool compact_weights)
    : isa_(isa), input_size_(input_size), feature_dim_(trunk.feature_dim()) {
  require(input_size >= 32, ErrorKind::kInvalidArgument, "trunk", "input must be at least 32x32");
  // First the plan of every layer, in order: its input size and whether it
  // reads a padded input or writes a border (geometry only). Then the layers
  // are packed side by side, each one task (packing is most of a start that
  // maps no pack file), and last taken in order.
  struct Job {
    const Conv2d* conv;
    int size;
    bool padded_input;
    int output_border;
  };
  std::vector<Job> jobs;
  // The stem reads an input padded here, at conversion to NHWC: unpadded, it
  // reads its patch rows in place instead of gathering them (PackedConv).
  stem_pad_ = trunk.stem().pad();
  jobs.push_back({&trunk.stem(), input_size + 2 * stem_pad_, true, 0});
  std::vector<int> borders;  // per block, in order
  {
    int size = Trunk::pooled_size(
        spec_of(trunk.stem(), true).out_size(input_size + 2 * stem_pad_));
    for (const auto& stage : trunk.stages())
      for (const auto& b : stage) {
        const int s1 = b.conv1.geometry(size, size).out_height(), s2 = b.conv2.geometry(s1, s1).out_height();
        // A padded conv2 that runs as a GEMM (a 3x3 on a map under 7x7: res5's
        // at inputs under 224x224; res5's with compact weights; small test
        // networks) would
        // gather its patch rows, again in every task of a column split; reading
        // a zero border conv1 writes around its output, it reads them in place.
        const int pad2 = b.conv2.pad();
        const bool gemm2 =
            kernels::choose_algorithm(spec_of(b.conv2), s1, s1, compact_weights) == kernels::ConvAlgorithm::kGemm;
        const int border = pad2 > 0 && gemm2 ? pad2 : 0;
        borders.push_back(border);
        jobs.push_back({&b.conv1, size, false, border});
        jobs.push_back({&b.conv2, s1 + 2 * border, border > 0, 0});
        jobs.push_back({&b.conv3, s2, false, 0});
        if (b.downsample) jobs.push_back({&*b.downsample, size, false, 0});
        size = spec_of(b.conv3).out_size(s2);
      }
  }
  require(packed.empty() || packed.size() >= 2 * jobs.size(), ErrorKind::kBadWeights, "trunk",
          "the packed weights hold fewer layers than the trunk");
  require(packed.empty() || packed.size() <= 2 * jobs.size(), ErrorKind::kBadWeights, "trunk",
          "the packed weights hold more layers than the trunk");

  // Raw weights come through one buffer per thread: no heap churn between
  // the packed layers' allocations (which would keep freed memory resident).
  std::vector<std::vector<float>> copies(static_cast<std::size_t>(par::max_concurrency()));
  std::vector<std::optional<kernels::PackedConv>> made(jobs.size());
  par::for_each_index(0, int(jobs.size()), [&](int i) {
    const Job& job = jobs[std::size_t(i)];
    const Conv2d& conv = *job.conv;
    if (!packed.empty()) {
      const kernels::ConvSpec spec = spec_of(conv, job.padded_input);
      const auto mine = packed.subspan(std::size_t(2) * i, 2);
      // The small layers are packed again and must come out the same: a
      // pack made by a build that lays weights out differently is refused.
      // Read unchecked (Conv2d::borrowed_weight): a weight file whose
      // payload is damaged there differs too, and is checked when packed again.
      if (source && i < kCheckedLayers) {
        const std::span<const float> weight = conv.borrowed_weight(), bias = conv.borrowed_bias();
        std::vector<float> raw(weight.size() + bias.size());
        source->copy_out(weight, raw.data());
        source->copy_out(bias, raw.data() + weight.size());
        const auto fresh = pack(conv, job.size, isa, job.padded_input, compact_weights, {raw.data(), weight.size()},
                                {raw.data() + weight.size(), bias.size()});
        const auto theirs = fresh.packed_buffers();
        for (int k = 0; k < 2; ++k)
          require(theirs[k].size() == mine[k].size() &&
                      std::equal(theirs[k].begin(), theirs[k].end(), mine[k].begin(),
                                 [](float a, float b) { return std::bit_cast<std::uint32_t>(a) ==
                                                               std::bit_cast<std::uint32_t>(b); }),
                  ErrorKind::kBadWeights, "trunk", "the packed weights differ from this build's packing");
      }
      made[std::size_t(i)].emplace(
          kernels::PackedConv::from_packed(spec, isa,
                                           kernels::choose_algorithm(spec, job.size, job.size, compact_weights), mine));
      return;
    }
    std::span<const float> weight = conv.weight(), bias = conv.bias();
    if (source) {
      std::vector<float>& copy = copies[std::size_t(par::current_thread_index())];
      copy.resize(weight.size() + bias.size());
      source->copy_out(weight, copy.data());
      source->copy_out(bias, copy.data() + weight.size());
      source->release_pages(weight);
      weight = std::span<const float>(copy.data(), weight.size());
      bias = std::span<const float>(copy.data() + weight.size(), bias.size());
    }
    made[std::size_t(i)].emplace(pack(conv, job.size, isa, job.padded_input, compact_weights, weight, bias));
  });
  copies.clear();

  // Grows the plan to hold each layer's output and scratch, in order.
  std::size_t next = 0;
  auto take = [&]() {
    const Job& job = jobs[next];
    kernels::PackedConv layer = std::move(*made[next++]);
    const int out = layer.spec().out_size(job.size) + 2 * job.output_border;
    plan_.activation = std::max(plan_.activation, std::size_t(out) * out * layer.spec().out_channels);
    plan_.per_slot = std::max(plan_.per_slot, layer.scratch_floats(job.size, job.size));
    return layer;
  };
  stem_.emplace(take());
  plan_.input = std::size_t(3) * jobs.front().size * jobs.front().size;
  std::size_t block = 0;
  for (const auto& stage : trunk.stages()) {
    std::vector<Block> blocks;
    for (const auto& b : stage) {
      Block p{take(), take(), take(), std::nullopt, borders[block++]};
      if (b.downsample) p.downsample.emplace(take());
      blocks.push_back(std::move(p));
    }
    stages_.push_back(std::move(blocks));
  }
}

std::vector<std::span<const float>> PackedTrunk::packed_buffers() const {
  std::vector<std::span<const float>> out;
  auto add = [&](const kernels::PackedConv& c) {
    for (const auto& b : c.packed_buffers()) out.push_back(b);
  };
  add(*stem_);
  for (const auto& stage : stages_)
    for (const auto& b : stage) {
      add(b.conv1), add(b.conv2), add(b.conv3);
      if (b.downsample) add(*b.downsample);
    }
  return out;
}

std::size_t PackedTrunk::workspace_floats(int slots) const {
  // The input, three rotating activations (kActivationAreas), then per-slot
  // scratch; forward() carves the workspace in this order.
  return whole_lines(plan_.input) + kActivationAreas * whole_lines(plan_.activation) +
         std::size_t(slots) * whole_lines(plan_.per_slot);
}

void PackedTrunk::forward(const float* image, float* features, float* workspace, int slots, const StageTap& tap,
                          const StepTimer& timer, const ConvInputTap& inputs) const {
  const std::size_t act = whole_lines(plan_.activation);
  float* input = workspace;
  float* x = input + whole_lines(plan_.input);
  float* t1 = x + act;
  float* t2 = t1 + act;
  const kernels::Scratch scratch{t2 + act, whole_lines(plan_.per_slot), slots};
  auto step = [&](const char* layer, int stage, int block, auto&& run) {
    timed_step(timer, {layer, stage, block}, run);
  };
  const FrontOutput front = run_front(*stem_, stem_pad_, image, input_size_, input, t1, x, scratch, timer);
  int size = front.size, channels = front.channels;
  // Between stages t1 and t2 hold nothing the next block reads.
  auto emit = [&](int stage) { tap_stage(tap, stage, x, size, channels, t2); };
  emit(0);
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    const int stage = int(s) + 2;
    for (std::size_t i = 0; i < stages_[s].size(); ++i) {
      const Block& b = stages_[s][i];
      const int block = int(i);
      if (inputs) inputs({"conv1", stage, block}, x, std::size_t(size) * size * b.conv1.spec().in_channels);
      step("conv1", stage, block,
           [&] { b.conv1.forward(x, size, size, t1, nullptr, true, scratch, b.conv1_border); });
      const int s1 = b.conv1.spec().out_size(size) + 2 * b.conv1_border;
      if (inputs) inputs({"conv2", stage, block}, t1, std::size_t(s1) * s1 * b.conv2.spec().in_channels);
      step("conv2", stage, block, [&] { b.conv2.forward(t1, s1, s1, t2, nullptr, true, scratch); });
      const int s2 = b.conv2.spec().out_size(s1);
      if (inputs) inputs({"conv3", stage, block}, t2, std::size_t(s2) * s2 * b.conv3.spec().in_channels);
      // conv3 adds the block's identity in place (PackedConv::forward): into
      // x itself, or into the projection written to t1 (free again), which
      // then becomes x. Each output line is then read once and written once,
      // where a separate residual buffer would be read as well and take a
      // fourth activation area (bench/trunk_steps.cpp times each conv3;
      // docs/kernels.md, table per_layer).
      if (b.downsample) {
        step("downsample", stage, block, [&] { b.downsample->forward(x, size, size, t1, nullptr, false, scratch); });
        step("conv3", stage, block, [&] { b.conv3.forward(t2, s2, s2, t1, t1, true, scratch); });
        std::swap(x, t1);
      } else {
        step("conv3", stage, block, [&] { b.conv3.forward(t2, s2, s2, x, x, true, scratch); });
      }
      size = s2, channels = b.conv3.spec().out_channels;
    }
    emit(int(s) + 1);
  }
  step("global_pool", 0, 0, [&] { kernels::global_average_pool_nhwc(x, size * size, channels, features); });
}

}  // namespace aoi::nn
