// AVX-512 micro-kernel: 14 rows x 32 columns (28 zmm accumulators, two B
// vectors, one broadcast). Compiled with -mavx512f only in this file.
#include "kernels/microkernel.hpp"

#if defined(__x86_64__) && defined(AOI_COMPILE_AVX512)
#include <immintrin.h>

namespace aoi::kernels {
namespace {

constexpr int kMr = 14, kNr = 32;

inline __mmask16 column_mask(int cols) { return cols >= 16 ? __mmask16(0xFFFF) : cols <= 0 ? __mmask16(0) : __mmask16((1u << cols) - 1); }

template <bool kPacked>
void tile(const TileArgs& t) {
  __m512 lo[kMr], hi[kMr];
#pragma GCC unroll 14
  for (int r = 0; r < kMr; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
  const float* b = t.b;
  if constexpr (kPacked) {
    const float* a = t.a;
    for (int k = 0; k < t.kc; ++k, a += kMr, b += kNr) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
      for (int r = 0; r < kMr; ++r) {
        const __m512 av = _mm512_set1_ps(a[r]);
        lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);
        hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);
      }
    }
  } else {
    // Rows past the valid ones alias row 0: computed, never stored.
    const float* row[kMr];
#pragma GCC unroll 14
    for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;
    for (int k = 0; k < t.kc; ++k, b += kNr) {
      const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
      for (int r = 0; r < kMr; ++r) {
        const __m512 av = _mm512_set1_ps(row[r][k]);
        lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);
        hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);
      }
    }
  }
  const __mmask16 m0 = column_mask(t.cols), m1 = column_mask(t.cols - 16);
  const Epilogue* ep = t.epilogue;
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (ep && ep->bias) bias0 = _mm512_maskz_loadu_ps(m0, ep->bias), bias1 = _mm512_maskz_loadu_ps(m1, ep->bias + 16);
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 14
  for (int r = 0; r < kMr; ++r) {
    if (r >= t.rows) break;
    float* c = t.c + r * t.ldc;
    __m512 v0 = lo[r], v1 = hi[r];
    if (t.accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, c));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, c + 16));
    }
    if (ep) {
      v0 = _mm512_add_ps(v0, bias0), v1 = _mm512_add_ps(v1, bias1);
      if (ep->residual) {
        const float* res = ep->residual + r * ep->ld_residual;
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, res));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, res + 16));
      }
      if (ep->relu) v0 = _mm512_max_ps(v0, zero), v1 = _mm512_max_ps(v1, zero);
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    _mm512_mask_storeu_ps(c + 16, m1, v1);
  }
}

}  // namespace

MicroKernel microkernel_avx512() { return {Isa::kAvx512, kMr, kNr, &tile<true>, &tile<false>}; }

}  // namespace aoi::kernels
#endif
