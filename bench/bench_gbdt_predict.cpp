// GBDT prediction speed: single-row latency (the edge path) and batch
// throughput at 1 and 2 threads, for a model and a feature matrix given by
// AOI_GBDT_MODEL and AOI_GBDT_FEATURES (bench/compare_xgboost.py sets them).
//
//   AOI_GBDT_MODEL=m.aoig AOI_GBDT_FEATURES=x.npy build/bench/bench_gbdt_predict
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "gbdt/model.hpp"
#include "io/npy.hpp"

namespace {

struct Fixture {
  std::optional<aoi::gbdt::Predictor> predictor;
  aoi::io::NpyArray x;
  std::size_t rows = 0;
};

Fixture* fixture() {
  static Fixture* f = [] {
    auto* out = new Fixture;
    const char* model = std::getenv("AOI_GBDT_MODEL");
    const char* features = std::getenv("AOI_GBDT_FEATURES");
    if (!model || !features) return out;
    out->predictor.emplace(aoi::gbdt::load_model(model));
    out->x = aoi::io::read_npy(features);
    out->rows = std::size_t(out->x.shape[0]);
    return out;
  }();
  return f;
}

void BM_PredictOneRow(benchmark::State& state) {
  Fixture* f = fixture();
  if (!f->predictor) return state.SkipWithError("set AOI_GBDT_MODEL and AOI_GBDT_FEATURES");
  const std::size_t d = f->predictor->num_features();
  // On the edge a row is scored right after the trunk wrote it, so it is in
  // cache: cycle over 16 rows (hot in L2) rather than stream the whole matrix.
  // Predicting different rows keeps branch predictors from learning one path.
  const std::size_t hot = std::min<std::size_t>(16, f->rows);
  std::size_t i = 0;
  float p[1024];
  for (auto _ : state) {
    f->predictor->predict_proba(f->x.values.data() + (i++ % hot) * d, p);
    benchmark::DoNotOptimize(p[0]);
  }
}
BENCHMARK(BM_PredictOneRow)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_PredictBatch(benchmark::State& state) {
  Fixture* f = fixture();
  if (!f->predictor) return state.SkipWithError("set AOI_GBDT_MODEL and AOI_GBDT_FEATURES");
  for (auto _ : state) benchmark::DoNotOptimize(f->predictor->predict_batch(f->x.values, f->rows, int(state.range(0))));
  state.counters["rows_per_s"] = benchmark::Counter(double(f->rows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PredictBatch)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
