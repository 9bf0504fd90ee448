// AVX-512 micro-kernel, compiled with -mavx512f only in this file.
#include "kernels/microkernel.hpp"

#if defined(__x86_64__) && defined(AOI_COMPILE_AVX512)
#include <immintrin.h>

#include "kernels/x86/avx512_tile.hpp"

namespace aoi::kernels {
namespace {

// kNv vectors of 16 columns per row. 7 x 64 (28 accumulators; 4 loads and 7
// broadcasts per 28 FMAs): every map size of ResNet at 224x224 (112, 56, 28,
// 14, 7 squared) is a multiple of 7 rows, so no register tile runs half empty.
// 28 accumulators + 4 B vectors + the broadcast need 33 registers, so GCC
// keeps one accumulator in memory; in one-off trunk runs with temporary
// kernels that cost nothing against a 6 x 64 tile that fits (and 14 x 32 and
// 8 x 48 were slower); bench_kernels times only the tile kept here.
constexpr int kMr = 7, kNv = 4, kNr = 16 * kNv;

// R valid rows (1..kMr): a tile with fewer rows does only its own FMAs, so
// maps whose tile count is not a multiple of 7 (Winograd on 14x14 and 7x7
// maps: 16 tiles = 7 + 7 + 2) waste no products on padding rows.
template <int R>
void tile_rows(const TileArgs& t) {
  __m512 acc[R][kNv];
#pragma GCC unroll 7
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_setzero_ps();
  const float* row[R];
#pragma GCC unroll 7
  for (int r = 0; r < R; ++r) row[r] = t.a + r * t.a_row_stride;
  const float* b = t.b;
  const int depth = t.a_run();
  for (int k0 = 0; k0 < t.kc; k0 += depth) {
    const int run = t.kc - k0 < depth ? t.kc - k0 : depth;
    for (int k = 0; k < run; ++k, b += kNr) {
      __m512 bv[kNv];
#pragma GCC unroll 4
      for (int v = 0; v < kNv; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 7
      for (int r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(row[r][k]);
#pragma GCC unroll 4
        for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
      }
    }
#pragma GCC unroll 7
    for (int r = 0; r < R; ++r) row[r] += t.a_segment_stride;
  }
  __mmask16 mask[kNv];
  __m512 bias[kNv];
  const Epilogue* ep = t.epilogue;
#pragma GCC unroll 4
  for (int v = 0; v < kNv; ++v) {
    mask[v] = column_mask(t.cols - 16 * v);
    bias[v] = ep && ep->bias ? _mm512_maskz_loadu_ps(mask[v], ep->bias + 16 * v) : _mm512_setzero_ps();
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 7
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
    const float* res = ep && ep->residual ? ep->residual + r * ep->ld_residual : nullptr;
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) {
      __m512 x = acc[r][v];
      if (t.accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], c + 16 * v));
      if (ep) {
        x = _mm512_add_ps(x, bias[v]);
        if (res) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[v], res + 16 * v));
        if (ep->relu) x = _mm512_max_ps(x, zero);
      }
      _mm512_mask_storeu_ps(c + 16 * v, mask[v], x);
    }
  }
}

static_assert(kMr == 7, "tile() dispatches rows 1..7");

void tile(const TileArgs& t) {
  switch (t.rows) {
    case 7: return tile_rows<7>(t);
    case 6: return tile_rows<6>(t);
    case 5: return tile_rows<5>(t);
    case 4: return tile_rows<4>(t);
    case 3: return tile_rows<3>(t);
    case 2: return tile_rows<2>(t);
    case 1: return tile_rows<1>(t);
    default: return;
  }
}

}  // namespace

MicroKernel microkernel_avx512() { return {Isa::kAvx512, kMr, kNr, &tile}; }

}  // namespace aoi::kernels
#endif
