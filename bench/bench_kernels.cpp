// aoi's convolution kernels on every distinct convolution of ResNet-50 at
// 224x224, batch 1: GFLOP/s and share of the FMA peak measured by this same
// program on this machine (counter pct_peak; Winograd layers count the direct
// convolution's flops, so they can pass 100%), hot (repeated, weights in
// cache) and cold (weights evicted before each run, as in the trunk), with the
// packed weights' size (weights_mb). Also the peak itself. The expanding 1x1
// layers are also run as the trunk runs most of them (name_residual): adding
// the block's input in place, in the output buffer that already holds it
// (PackedConv::forward); per_image counts each variant's uses, so
// summing the plain entries alone covers the network once.
//
//   build/bench/bench_kernels --benchmark_min_time=0.5
//   AOI_ISA=avx2 build/bench/bench_kernels   # another instruction set
#include <benchmark/benchmark.h>
#include "core/parallel.hpp"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "kernels/packed_conv.hpp"
#include "peak/fma_peak.hpp"

namespace {

using aoi::kernels::ConvSpec;

struct Layer {
  const char* name;
  ConvSpec spec;
  int size;   // input height = width
  int count;  // how many times ResNet-50 runs this shape
  int with_residual = 0;  // how many of those add the block's input (also benchmarked as name_residual)
};

// ResNet-50 v1 (stride on the first 1x1 of stages 2-4) at 224x224.
const Layer kLayers[] = {
    {"stem_7x7s2", {3, 64, 7, 2, 0}, 230, 1},  // on the 224 + 2 x 3 input the trunk pads itself
    {"res2_1x1_64_64", {64, 64, 1, 1, 0}, 56, 1},
    {"res2_3x3_64", {64, 64, 3, 1, 1}, 56, 3},
    {"res2_1x1_64_256", {64, 256, 1, 1, 0}, 56, 4, 3},  // conv3 x3 and the downsample
    {"res2_1x1_256_64", {256, 64, 1, 1, 0}, 56, 2},
    {"res3_1x1s2_256_128", {256, 128, 1, 2, 0}, 56, 1},
    {"res3_3x3_128", {128, 128, 3, 1, 1}, 28, 4},
    {"res3_1x1_128_512", {128, 512, 1, 1, 0}, 28, 4, 4},
    {"res3_1x1s2_256_512", {256, 512, 1, 2, 0}, 56, 1},
    {"res3_1x1_512_128", {512, 128, 1, 1, 0}, 28, 3},
    {"res4_1x1s2_512_256", {512, 256, 1, 2, 0}, 28, 1},
    {"res4_3x3_256", {256, 256, 3, 1, 1}, 14, 6},
    {"res4_1x1_256_1024", {256, 1024, 1, 1, 0}, 14, 6, 6},
    {"res4_1x1s2_512_1024", {512, 1024, 1, 2, 0}, 28, 1},
    {"res4_1x1_1024_256", {1024, 256, 1, 1, 0}, 14, 5},
    {"res5_1x1s2_1024_512", {1024, 512, 1, 2, 0}, 14, 1},
    {"res5_3x3_512", {512, 512, 3, 1, 1}, 7, 3},
    {"res5_1x1_512_2048", {512, 2048, 1, 1, 0}, 7, 3, 3},
    {"res5_1x1s2_1024_2048", {1024, 2048, 1, 2, 0}, 14, 1},
    {"res5_1x1_2048_512", {2048, 512, 1, 1, 0}, 7, 2},
};


void BM_FmaPeak(benchmark::State& state) {
  const auto isa = aoi::kernels::best_isa();
  double g = 0;
  for (auto _ : state) g = aoi::bench::measured_fma_peak_gflops(isa);
  state.counters["gflops"] = g;
  state.SetLabel(aoi::kernels::isa_name(isa));
}
BENCHMARK(BM_FmaPeak)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Int8Peak(benchmark::State& state) {
  double g = 0;
  for (auto _ : state) g = aoi::bench::measured_int8_peak_gmacs();
  if (g == 0) state.SkipWithError("no AVX2 on this CPU");
  state.counters["gmacs"] = g;
}
BENCHMARK(BM_Int8Peak)->Iterations(1)->Unit(benchmark::kMillisecond);

// Evicts every cache level by streaming through more than the L3 holds, then
// touches the layer's activations again: a "cold" run reads its packed
// weights from memory with its input and output in cache, as each layer does
// inside the trunk at batch 1 (the network's weights exceed the L3; the
// previous layer just wrote the input).
void evict_weights(const std::vector<float>& input, const std::vector<float>& output) {
  static std::vector<float> junk(std::size_t(96) << 18, 1.0f);  // 96 MiB
  float sum = 0;
  for (std::size_t i = 0; i < junk.size(); i += 16) sum += junk[i];
  for (const auto* v : {&input, &output})
    for (std::size_t i = 0; i < v->size(); i += 16) sum += (*v)[i];
  benchmark::DoNotOptimize(sum);
}

void BM_Conv(benchmark::State& state, const Layer& layer, aoi::kernels::ConvAlgorithm algorithm, bool add_residual) {
  const int threads = int(state.range(0));
  const bool cold = state.range(1) != 0;
  const auto isa = aoi::kernels::best_isa();
  const auto& s = layer.spec;
  if (algorithm == aoi::kernels::ConvAlgorithm::kAuto)
    algorithm = aoi::kernels::choose_algorithm(s, layer.size, layer.size);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-0.05f, 0.05f);
  std::vector<float> w(std::size_t(s.out_channels) * s.in_channels * s.kernel * s.kernel), b(s.out_channels);
  for (auto& v : w) v = d(rng);
  for (auto& v : b) v = d(rng);
  const aoi::kernels::PackedConv conv(s, w, b, isa, algorithm);
  const int out = s.out_size(layer.size);
  std::vector<float> input(std::size_t(layer.size) * layer.size * s.in_channels), output(std::size_t(out) * out * s.out_channels);
  for (auto& v : input) v = d(rng) + 0.05f;
  // The block's input, added in place as the trunk does: each pass adds the
  // convolution to the last one's output, which changes values, not timing.
  if (add_residual)
    for (auto& v : output) v = d(rng);
  aoi::par::Arena arena(threads);
  aoi::kernels::Scratch scratch;
  scratch.slots = threads;
  scratch.floats_per_slot = conv.scratch_floats(layer.size, layer.size);
  auto memory = aoi::allocate_floats(scratch.floats_per_slot * threads + 16);
  scratch.data = memory.get();
  auto run = [&] { arena.execute([&] { conv.forward(input.data(), layer.size, layer.size, output.data(),
                                                  add_residual ? output.data() : nullptr, true, scratch); }); };
  // The peak is measured again right before each layer's timed loop: on a
  // shared host a busy neighbour moves it for seconds to minutes, and a peak
  // from another moment gives shares of the peak that swing from run to run
  // (even past 100 %) for the same kernel.
  const double peak = aoi::bench::measured_fma_peak_gflops(isa) * threads;
  run();
  double seconds = 0;  // the layer's own time, without the evictions
  for (auto _ : state) {
    if (cold) evict_weights(input, output);
    const auto start = std::chrono::steady_clock::now();
    run();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(took);
    seconds += took;
    benchmark::DoNotOptimize(output.data());
  }
  const double gflops = 2.0 * double(s.multiply_adds(layer.size, layer.size)) * double(state.iterations()) / seconds / 1e9;
  state.counters["gflops"] = gflops;
  state.counters["pct_peak"] = 100.0 * gflops / peak;
  state.counters["per_image"] = add_residual ? layer.with_residual : layer.count;
  state.counters["weights_mb"] = double(conv.packed_weight_bytes()) / 1e6;
  const char* names[] = {"auto", "gemm", "winograd F(2,3)", "winograd F(4,3)"};
  state.SetLabel(std::string(aoi::kernels::isa_name(isa)) + " " + names[int(conv.algorithm())]);
}

int register_layers() {
  for (const auto& layer : kLayers) {
    // Hot (weights in cache, 1 and 2 threads) and cold (weights from memory).
    benchmark::RegisterBenchmark(layer.name, BM_Conv, layer, aoi::kernels::ConvAlgorithm::kAuto, false)
        ->ArgNames({"threads", "cold"})->Args({1, 0})->Args({2, 0})->Args({1, 1})
        ->Unit(benchmark::kMicrosecond)->UseManualTime();
    if (layer.with_residual > 0)  // as in the trunk's conv3: the residual added in place
      benchmark::RegisterBenchmark((std::string(layer.name) + "_residual").c_str(), BM_Conv, layer,
                                   aoi::kernels::ConvAlgorithm::kAuto, true)
          ->ArgNames({"threads", "cold"})->Args({1, 0})->Args({2, 0})->Args({1, 1})
          ->Unit(benchmark::kMicrosecond)->UseManualTime();
    // Every algorithm on each 3x3 stride-1 layer, to check the choice.
    if (layer.spec.kernel == 3 && layer.spec.stride == 1 && layer.spec.pad == 1)
      for (auto [suffix, algo] : {std::pair{"_gemm", aoi::kernels::ConvAlgorithm::kGemm},
                                  std::pair{"_f2", aoi::kernels::ConvAlgorithm::kWinogradF2},
                                  std::pair{"_f4", aoi::kernels::ConvAlgorithm::kWinogradF4}})
        benchmark::RegisterBenchmark((std::string(layer.name) + suffix).c_str(), BM_Conv, layer, algo, false)
            ->ArgNames({"threads", "cold"})->Args({1, 0})->Args({2, 0})->Args({1, 1})
            ->Unit(benchmark::kMicrosecond)->UseManualTime();
  }
  return 0;
}
const int registered = register_layers();

}  // namespace

BENCHMARK_MAIN();
