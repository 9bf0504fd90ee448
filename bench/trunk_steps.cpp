// aoi's trunk step by step: each layer's time inside a whole forward pass
// (PackedTrunk's StepTimer), on the peers' synthetic input, for the
// per-layer comparison with oneDNN (bench/per_layer.py; docs/kernels.md,
// table per_layer) and A/B runs of two builds (bench/ab_builds.sh steps).
// One JSON line per step: its name, kind (stem, 1x1, 3x3, pool, input),
// multiply-adds and fastest and median ms over the timed passes; then one
// line with this thread's measured peaks (bench/peak), fp32 FMA, int8 (of
// the kernel that runs: VNNI or the AVX2 sequence) and bf16, in GMAC/s, which per_layer.py reports each layer's share of. An int8
// weight file (aoi quantize) runs on the int8 trunk, a bf16 one on the bf16
// trunk where the CPU has bf16 arithmetic.
//
//   build/bench/trunk_steps --weights W.aoiw --threads 1 --iterations 20
#include "core/parallel.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu.hpp"
#include "nn/packed_trunk.hpp"
#include "nn/reduced_trunk.hpp"
#include "kernels/bf16_gemm.hpp"
#include "kernels/qgemm.hpp"
#include "nn/trunk.hpp"
#include "weights/weight_file.hpp"
#include "peer_args.hpp"
#include "peak/fma_peak.hpp"

namespace {

// "res3.1.conv2", or the layer alone for the steps outside the blocks.
std::string step_name(const aoi::nn::TrunkStep& s) {
  if (s.stage == 0) return s.layer;
  return "res" + std::to_string(s.stage) + "." + std::to_string(s.block) + "." + s.layer;
}

// Each convolution step's multiply-adds on a size x size input.
std::map<std::string, long long> step_macs(const aoi::nn::Trunk& trunk, int size) {
  std::map<std::string, long long> out;
  auto count = [&](const std::string& name, const aoi::nn::Conv2d& c, int in) {
    const auto g = c.geometry(in, in);
    out[name] = 1LL * g.out_height() * g.out_width() * c.out_channels() * c.in_channels() * c.kernel() * c.kernel();
    return g.out_height();
  };
  size = aoi::nn::Trunk::pooled_size(count("stem", trunk.stem(), size));
  for (std::size_t s = 0; s < trunk.stages().size(); ++s)
    for (std::size_t i = 0; i < trunk.stages()[s].size(); ++i) {
      const auto& b = trunk.stages()[s][i];
      const std::string p = "res" + std::to_string(s + 2) + "." + std::to_string(i) + ".";
      if (b.downsample) count(p + "downsample", *b.downsample, size);
      size = count(p + "conv3", b.conv3, count(p + "conv2", b.conv2, count(p + "conv1", b.conv1, size)));
    }
  return out;
}

std::string step_kind(const aoi::nn::Trunk& trunk, const aoi::nn::TrunkStep& s) {
  const std::string layer = s.layer;
  if (s.stage == 0) return layer == "stem" ? "stem" : layer == "input" || layer == "quantize" ? "input" : "pool";
  const auto& b = trunk.stages()[std::size_t(s.stage - 2)][std::size_t(s.block)];
  const auto& conv = layer == "conv1" ? b.conv1 : layer == "conv2" ? b.conv2 : layer == "conv3" ? b.conv3 : *b.downsample;
  return std::to_string(conv.kernel()) + "x" + std::to_string(conv.kernel());
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = aoi::bench::parse_peer_args(argc, argv);
  const auto weights = aoi::weights::WeightFile::open(args.weights);
  const aoi::nn::Trunk trunk(weights);
  const int size = weights.description().preprocess.input_size;
  // As the engine picks: int8 and bf16 files on their trunks (bf16 where
  // the CPU has bf16 arithmetic), the others on the float32 one.
  const aoi::kernels::Isa isa = aoi::kernels::best_isa();
  const std::string& precision = weights.description().precision;
  std::optional<aoi::nn::PackedTrunk> packed;
  std::optional<aoi::nn::QuantizedTrunk> quantized;
  std::optional<aoi::nn::Bf16Trunk> bf16;
  if (precision == "int8") quantized.emplace(trunk, isa, size);
  else if (precision == "bf16" && aoi::kernels::bf16_native(isa)) bf16.emplace(trunk, isa, size);
  else packed.emplace(trunk, isa, size);
  auto workspace = aoi::allocate_floats(packed      ? packed->workspace_floats(args.threads)
                                        : quantized ? quantized->workspace_floats(args.threads)
                                                    : bf16->workspace_floats(args.threads));
  const std::vector<float> input = aoi::bench::synthetic_input(1, size);
  std::vector<float> features(std::size_t(trunk.feature_dim()));

  std::vector<std::string> order;  // steps in the order forward() runs them
  std::map<std::string, std::pair<std::string, std::vector<double>>> times;  // name -> kind, ms per pass
  std::map<std::string, long long> macs = step_macs(trunk, size);
  bool timing = false;
  const aoi::nn::StepTimer timer = [&](const aoi::nn::TrunkStep& s, double seconds) {
    if (!timing) return;
    const std::string name = step_name(s);
    auto [it, fresh] = times.try_emplace(name, step_kind(trunk, s), std::vector<double>{});
    if (fresh) order.push_back(name);
    it->second.second.push_back(seconds * 1e3);
  };
  aoi::par::Arena arena(args.threads);
  arena.execute([&] {
    for (int i = 0; i < args.warmup + args.iterations; ++i) {
      timing = i >= args.warmup;
      if (packed) packed->forward(input.data(), features.data(), workspace.get(), args.threads, {}, timer);
      else if (quantized) quantized->forward(input.data(), features.data(), workspace.get(), args.threads, {}, timer);
      else bf16->forward(input.data(), features.data(), workspace.get(), args.threads, {}, timer);
    }
  });
  for (const auto& name : order) {
    auto& [kind, ms] = times[name];
    std::sort(ms.begin(), ms.end());
    std::printf("{\"step\": \"%s\", \"kind\": \"%s\", \"threads\": %d, \"macs\": %lld, \"min_ms\": %.4f, "
                "\"median_ms\": %.4f}\n",
                name.c_str(), kind.c_str(), args.threads, macs[name], ms.front(), ms[ms.size() / 2]);
  }
  // The int8 peak is the instruction sequence of the int8 kernel that runs:
  // vpdpbusd where the VNNI kernel runs, else the AVX2 one's.
  const bool vnni = std::string(aoi::kernels::qmicro_kernel(isa).name) == "avx512_vnni";
  std::printf("{\"peak_fp32_gmacs\": %.2f, \"peak_int8_gmacs\": %.2f, \"peak_bf16_gmacs\": %.2f}\n",
              aoi::bench::measured_fma_peak_gflops(isa) / 2,
              vnni ? aoi::bench::measured_vnni_peak_gmacs() : aoi::bench::measured_int8_peak_gmacs(),
              aoi::bench::measured_bf16_peak_gmacs());
  return 0;
}
