// AVX512_BF16 micro-kernel: up to 6 rows x 64 columns (four packed panels of
// 16) per call. vdpbf16ps multiplies a row's two bf16 depths, broadcast, by
// each column's two depths and adds both products into a float32 lane:
// 24 accumulators, 4 panel loads and 6 broadcasts per 24 instructions, each
// 32 multiply-adds. Compiled with AVX512_BF16 only in this file and picked
// only where the CPU reports it (kernels/bgemm.cpp).
#include "kernels/bf16_gemm.hpp"

#if defined(__x86_64__) && defined(AOI_COMPILE_AVX512)
#include <immintrin.h>

#include "kernels/x86/avx512_tile.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 6, kPanels = 4;

// All six rows are computed (rows past `rows` reread row 0 and are not
// stored): one instantiation per panel count keeps the static library
// small, and only a layer's last row block has short tiles.
template <int P>
void tile_p(const BTileArgs& t) {
  constexpr int R = kMr;
  __m512 acc[R][P];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_ps();
  const std::uint16_t* row[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;
  const std::uint16_t* b = t.b;
  const std::ptrdiff_t stride = t.b_panel_stride;
  for (int k = 0; k < t.k; k += 2, b += 2 * kBNr) {
    __m512bh bv[P];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) bv[p] = (__m512bh)_mm512_load_si512(b + p * stride);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(load_depths32(row[r] + k));
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], a, bv[p]);
    }
  }
  const BEpilogue& ep = t.ep;
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
    const int c0 = 16 * p;
    const __mmask16 mask = column_mask(t.cols - c0);
    const __m512 bias = _mm512_maskz_loadu_ps(mask, ep.bias + c0);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      if (r >= t.rows) break;
      __m512 v = _mm512_add_ps(acc[r][p], bias);
      if (ep.residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, ep.residual + r * ep.ld_residual + c0));
      if (ep.relu) v = _mm512_max_ps(v, zero);
      if (ep.out_f32) _mm512_mask_storeu_ps(ep.out_f32 + r * ep.ld_f32 + c0, mask, v);
      if (ep.out_bf16) {
        const __m256i h = (__m256i)_mm512_cvtneps_pbh(v);  // nearest even
        _mm256_mask_storeu_epi16(ep.out_bf16 + r * ep.ld_bf16 + c0, mask, h);
      }
    }
  }
}

static_assert(kMr == 6 && kPanels == 4, "tile() dispatches panels 1..4");

void tile(const BTileArgs& t) {
  if (t.rows <= 0 || t.cols <= 0) return;
  switch ((t.cols + 15) / 16) {
    case 1: return tile_p<1>(t);
    case 2: return tile_p<2>(t);
    case 3: return tile_p<3>(t);
    default: return tile_p<4>(t);
  }
}

}  // namespace

BMicroKernel bmicrokernel_avx512_bf16() { return {Isa::kAvx512, "avx512_bf16", kMr, &tile, kPanels}; }

}  // namespace aoi::kernels
#endif
