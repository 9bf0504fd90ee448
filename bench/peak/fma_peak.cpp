#include "peak/fma_peak.hpp"

#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aoi::bench {
namespace {

constexpr long kIterations = 20'000'000;

#if defined(__x86_64__)
// 12 chains: 4-cycle latency x 2 ports = 8 in flight needed; 12 leaves slack.
__attribute__((target("avx512f"))) float chains_avx512(long n) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float chains_avx2(long n) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}
#endif

float chains_scalar(long n) {
  float acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = float(i);
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

}  // namespace

double measured_fma_peak_gflops(kernels::Isa isa) {
  int lanes = 1;
  float (*run)(long) = chains_scalar;
#if defined(__x86_64__)
  if (isa == kernels::Isa::kAvx512) lanes = 16, run = chains_avx512;
  if (isa == kernels::Isa::kAvx2) lanes = 8, run = chains_avx2;
#endif
  const long n = isa == kernels::Isa::kScalar ? kIterations / 8 : kIterations;
  volatile float sink = run(n / 10);  // warm up the clocks
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = run(n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * 12 * lanes * double(n) / s / 1e9);
  }
  (void)sink;
  return best;
}

}  // namespace aoi::bench
