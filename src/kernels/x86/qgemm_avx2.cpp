// AVX2 int8 micro-kernel: 4 rows x 16 columns, u8 x s8 by vpmaddubsw (pairs
// into s16, which the weights' range keeps from saturating), vpmaddwd by
// ones (quads into s32), eight s32 accumulators. Compiled with -mavx2 -mfma
// only in this file, and -ffp-contract=off so its epilogue rounds exactly as
// the scalar kernel's.
#include "kernels/qgemm.hpp"

#if defined(__x86_64__) && defined(AOI_COMPILE_AVX2)
#include <immintrin.h>

#include <cstring>

#include "kernels/x86/avx2_row16.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4;

inline std::int32_t load_quad(const std::uint8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void tile(const QTileArgs& t) {
  __m256i acc[kMr][2];
#pragma GCC unroll 4
  for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const std::uint8_t* row[kMr];
#pragma GCC unroll 4
  for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;
  const __m256i ones = _mm256_set1_epi16(1);
  const std::int8_t* b = t.b;
  for (int k = 0; k < t.k; k += 4, b += 4 * kQNr) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
#pragma GCC unroll 4
    for (int r = 0; r < kMr; ++r) {
      const __m256i a = _mm256_set1_epi32(load_quad(row[r] + k));
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
    }
  }
  const QEpilogue& ep = t.ep;
  const avx2::Row16 io(t.cols);
  const __m256i m0 = io.m0, m1 = io.m1;
  const __m256 scale0 = _mm256_maskload_ps(ep.scale, m0), scale1 = _mm256_maskload_ps(ep.scale + 8, m1);
  const __m256 bias0 = _mm256_maskload_ps(ep.bias, m0), bias1 = _mm256_maskload_ps(ep.bias + 8, m1);
  const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f), inv = _mm256_set1_ps(ep.out_inv_step);
#pragma GCC unroll 4
  for (int r = 0; r < kMr; ++r) {
    if (r >= t.rows) break;
    __m256 v0 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][0]), scale0), bias0);
    __m256 v1 = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][1]), scale1), bias1);
    if (ep.residual) {
      const float* res = ep.residual + r * ep.ld_residual;
      v0 = _mm256_add_ps(v0, io.load_lo(res));
      v1 = _mm256_add_ps(v1, io.load_hi(res));
    }
    if (ep.relu) v0 = _mm256_max_ps(v0, zero), v1 = _mm256_max_ps(v1, zero);
    if (ep.out_f32) {
      io.store(ep.out_f32 + r * ep.ld_f32, v0, v1);
    }
    if (ep.out_u8) {
      const __m256i q0 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v0, inv), zero), top));
      const __m256i q1 = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v1, inv), zero), top));
      // s32 -> s16 packs per 128-bit lane; the permute puts columns back in order.
      const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8);
      const __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
      std::uint8_t* c = ep.out_u8 + r * ep.ld_u8;
      if (io.whole) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(c), bytes);
      } else {
        alignas(16) std::uint8_t lanes[kQNr];
        _mm_store_si128(reinterpret_cast<__m128i*>(lanes), bytes);
        std::memcpy(c, lanes, std::size_t(t.cols));
      }
    }
  }
}

}  // namespace

QMicroKernel qmicrokernel_avx2() { return {Isa::kAvx2, "avx2", kMr, &tile}; }

}  // namespace aoi::kernels
#endif
