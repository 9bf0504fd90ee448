// One 16-float row of an AVX2 register tile (two ymm), the first `cols`
// columns valid: the loads and stores the float32 and int8 epilogues share.
// Whole rows use plain loads and stores: masked ones (vmaskmovps) are
// microcoded and slow on AMD cores. Only files compiled with -mavx2 include
// it, so its inline code never lands in a baseline object.
#pragma once

#include <immintrin.h>

namespace aoi::kernels::avx2 {

inline __m256i column_mask(int cols) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
}

struct Row16 {
  explicit Row16(int cols) : whole(cols == 16), m0(column_mask(cols)), m1(column_mask(cols - 8)) {}
  __m256 load_lo(const float* p) const { return whole ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m0); }
  __m256 load_hi(const float* p) const { return whole ? _mm256_loadu_ps(p + 8) : _mm256_maskload_ps(p + 8, m1); }
  void store(float* p, __m256 lo, __m256 hi) const {
    if (whole) {
      _mm256_storeu_ps(p, lo);
      _mm256_storeu_ps(p + 8, hi);
    } else {
      _mm256_maskstore_ps(p, m0, lo);
      _mm256_maskstore_ps(p + 8, m1, hi);
    }
  }
  bool whole;
  __m256i m0, m1;
};

}  // namespace aoi::kernels::avx2
