// AVX2 + FMA micro-kernel: 6 rows x 16 columns (12 ymm accumulators).
// Compiled with -mavx2 -mfma only in this file.
#include "kernels/microkernel.hpp"

#if defined(__x86_64__) && defined(AOI_COMPILE_AVX2)
#include <immintrin.h>

#include "kernels/x86/avx2_row16.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 6, kNr = 16;

void tile(const TileArgs& t) {
  __m256 lo[kMr], hi[kMr];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
  const float* b = t.b;
  const float* row[kMr];
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;
  const int depth = t.a_run();
  for (int k0 = 0; k0 < t.kc; k0 += depth) {
    const int run = t.kc - k0 < depth ? t.kc - k0 : depth;
    for (int k = 0; k < run; ++k, b += kNr) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
      for (int r = 0; r < kMr; ++r) {
        const __m256 av = _mm256_broadcast_ss(row[r] + k);
        lo[r] = _mm256_fmadd_ps(av, b0, lo[r]);
        hi[r] = _mm256_fmadd_ps(av, b1, hi[r]);
      }
    }
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) row[r] += t.a_segment_stride;
  }
  const avx2::Row16 io(t.cols);
  const Epilogue* ep = t.epilogue;
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (ep && ep->bias) bias0 = _mm256_maskload_ps(ep->bias, io.m0), bias1 = _mm256_maskload_ps(ep->bias + 8, io.m1);
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int r = 0; r < kMr; ++r) {
    if (r >= t.rows) break;
    float* c = t.c + r * t.ldc;
    __m256 v0 = lo[r], v1 = hi[r];
    if (t.accumulate) {
      v0 = _mm256_add_ps(v0, io.load_lo(c));
      v1 = _mm256_add_ps(v1, io.load_hi(c));
    }
    if (ep) {
      v0 = _mm256_add_ps(v0, bias0), v1 = _mm256_add_ps(v1, bias1);
      if (ep->residual) {
        const float* res = ep->residual + r * ep->ld_residual;
        v0 = _mm256_add_ps(v0, io.load_lo(res));
        v1 = _mm256_add_ps(v1, io.load_hi(res));
      }
      if (ep->relu) v0 = _mm256_max_ps(v0, zero), v1 = _mm256_max_ps(v1, zero);
    }
    io.store(c, v0, v1);
  }
}

}  // namespace

MicroKernel microkernel_avx2() { return {Isa::kAvx2, kMr, kNr, &tile}; }

}  // namespace aoi::kernels
#endif
