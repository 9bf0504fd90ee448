// End-to-end trunk latency: ms per 224x224 image at batch 1 and 8, on 1 and 2
// threads, for each GEMM backend. Uses the converted ResNet-50 weights
// ($AOI_WEIGHTS or the default location; run weights/fetch.sh first).
//
//   build/bench/bench_trunk --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "nn/engine.hpp"
#include "weights/location.hpp"

namespace {

std::filesystem::path weights_path() { return aoi::weights::default_location(); }

void BM_Trunk(benchmark::State& state) {
  const int batch = int(state.range(0)), threads = int(state.range(1));
  const auto backend = static_cast<aoi::Backend>(state.range(2));
  if (!std::filesystem::exists(weights_path())) {
    state.SkipWithError("no weights: run weights/fetch.sh or set AOI_WEIGHTS");
    return;
  }
  const aoi::Engine engine = aoi::Engine::load(weights_path(), aoi::EngineOptions{threads, backend});
  const std::size_t per = std::size_t(3) * engine.input_size() * engine.input_size();
  std::vector<float> input(per * batch), features(std::size_t(batch) * engine.feature_dim());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-120, 150);
  for (auto& v : input) v = d(rng);
  engine.featurize(input, batch, features);  // warm up
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    engine.featurize(input, batch, features);
    benchmark::DoNotOptimize(features.data());
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  state.counters["ms_per_image"] = ms / (double(state.iterations()) * batch);
  state.SetLabel(std::string(aoi::backend_name(backend)) + " batch " + std::to_string(batch) + ", " +
                 std::to_string(threads) + " thread(s)");
}

BENCHMARK(BM_Trunk)
    ->ArgNames({"batch", "threads", "backend"})
    ->ArgsProduct({{1, 8}, {1, 2}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
