// AVX-512 VNNI int8 micro-kernel: up to 6 rows x 64 columns (four packed
// panels of 16) per call. vpdpbusd multiplies a row's four u8 depths,
// broadcast, by each column's four s8 depths and adds the four products
// straight into an s32 lane: no s16 step, so nothing can saturate, and the
// sums are the same integers as every other path's. 24 accumulators, 4 panel
// loads and 6 broadcasts per 24 vpdpbusd. Compiled with AVX-512 VNNI only
// in this file and picked only where the CPU reports it (kernels/qgemm.cpp);
// -ffp-contract=off keeps its epilogue rounding as the scalar kernel's.
#include "kernels/qgemm.hpp"

#if defined(__x86_64__) && defined(AOI_COMPILE_AVX512)
#include <immintrin.h>

#include "kernels/x86/avx512_tile.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 6, kPanels = 4;

// acc += the four u8 x s8 products of each lane. GCC 12's intrinsic for it
// copies the accumulator through a spare register at every use, which in a
// full tile spills accumulators to the stack: the instruction itself, in
// place, instead.
inline void dpbusd(__m512i& acc, __m512i u8, __m512i s8) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u8), "v"(s8));
}

// P panels holding valid columns: reads no panel past the layer's last.
// All six rows are computed (rows past `rows` reread row 0 and are not
// stored): one instantiation per panel count keeps the static library
// small, and only a layer's last row block has short tiles.
template <int P>
void tile_p(const QTileArgs& t) {
  constexpr int R = kMr;
  __m512i acc[R][P];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) acc[r][p] = _mm512_setzero_si512();
  const std::uint8_t* row[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;
  const std::int8_t* b = t.b;
  const std::ptrdiff_t stride = t.b_panel_stride;
  for (int k = 0; k < t.k; k += 4, b += 4 * kQNr) {
    __m512i bv[P];
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) bv[p] = _mm512_load_si512(b + p * stride);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512i a = _mm512_set1_epi32(load_depths32(row[r] + k));
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) dpbusd(acc[r][p], a, bv[p]);
    }
  }
  const QEpilogue& ep = t.ep;
  const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f), inv = _mm512_set1_ps(ep.out_inv_step);
#pragma GCC unroll 4
  for (int p = 0; p < P; ++p) {
    const int c0 = 16 * p;
    const __mmask16 mask = column_mask(t.cols - c0);
    const __m512 scale = _mm512_maskz_loadu_ps(mask, ep.scale + c0), bias = _mm512_maskz_loadu_ps(mask, ep.bias + c0);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      if (r >= t.rows) break;
      __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][p]), scale), bias);
      if (ep.residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, ep.residual + r * ep.ld_residual + c0));
      if (ep.relu) v = _mm512_max_ps(v, zero);
      if (ep.out_f32) _mm512_mask_storeu_ps(ep.out_f32 + r * ep.ld_f32 + c0, mask, v);
      if (ep.out_u8) {
        // Clamped to 0..255 first, so the truncating narrow loses nothing;
        // cvtps2dq rounds to nearest even, as q_requantize does.
        const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(v, inv), zero), top));
        _mm512_mask_cvtepi32_storeu_epi8(ep.out_u8 + r * ep.ld_u8 + c0, mask, q);
      }
    }
  }
}

static_assert(kMr == 6 && kPanels == 4, "tile() dispatches panels 1..4");

void tile(const QTileArgs& t) {
  if (t.rows <= 0 || t.cols <= 0) return;
  switch ((t.cols + 15) / 16) {
    case 1: return tile_p<1>(t);
    case 2: return tile_p<2>(t);
    case 3: return tile_p<3>(t);
    default: return tile_p<4>(t);
  }
}

}  // namespace

QMicroKernel qmicrokernel_avx512_vnni() { return {Isa::kAvx512, "avx512_vnni", kMr, &tile, 4, kPanels}; }

}  // namespace aoi::kernels
#endif
