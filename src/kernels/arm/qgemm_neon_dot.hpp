// The int8 micro-kernel of the aarch64 dot-product instructions, 4 rows x
// 16 columns, written for a product given as a class (qgemm_neon_sdot.cpp
// compiles it for sdot, FEAT_DotProd, which multiplies s8 by s8: the u8
// input is read as a - 128, its top bit flipped, and 128 x each column's
// weight sum, QTileArgs::b_column_sums, is added back at the end). Each
// instruction adds four columns' four-deep products of one row into
// four s32 lanes: the packed panel (kernels/qgemm.hpp) holds four columns of
// a depth quad in one 16-byte register, and the row's quad is picked as a
// lane of a register that holds 16 of its depths. 16 accumulators, 4 rows of
// input and 4 weight registers leave room in the 32 registers. Sums are
// exact and the epilogue is the scalar one (qgemm_finish.hpp), so results
// match every other path bit for bit.
#pragma once

#include <arm_neon.h>

#include <cstring>

#include "kernels/qgemm.hpp"
#include "kernels/qgemm_finish.hpp"

namespace aoi::kernels::neon_dot {

constexpr int kMr = 4;
constexpr int kQuadBytes = 4 * kQNr;  // one depth quad of a panel

// Product: Input (the register type of a row's depths), load16 and load4
// (16 depths, or one quad in lane 0), dot<Lane>(acc, weights, input), and
// kShifted (whether the input was read as a - 128).
template <class Product, int Lane>
inline void quad(int32x4_t (&acc)[kMr][4], const std::int8_t* b, const typename Product::Input (&a)[kMr]) {
  int8x16_t w[4];
  for (int c = 0; c < 4; ++c) w[c] = vld1q_s8(b + 16 * c);
  for (int r = 0; r < kMr; ++r)
    for (int c = 0; c < 4; ++c) acc[r][c] = Product::template dot<Lane>(acc[r][c], w[c], a[r]);
}

template <class Product>
void tile(const QTileArgs& t) {
  const std::uint8_t* row[kMr];
  for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;  // absent rows: row 0 again
  int32x4_t acc[kMr][4];
  for (auto& per_row : acc)
    for (auto& v : per_row) v = vdupq_n_s32(0);
  const std::int8_t* b = t.b;
  typename Product::Input a[kMr];
  int k = 0;
  for (; k + 16 <= t.k; k += 16, b += 4 * kQuadBytes) {
    for (int r = 0; r < kMr; ++r) a[r] = Product::load16(row[r] + k);
    quad<Product, 0>(acc, b, a);
    quad<Product, 1>(acc, b + kQuadBytes, a);
    quad<Product, 2>(acc, b + 2 * kQuadBytes, a);
    quad<Product, 3>(acc, b + 3 * kQuadBytes, a);
  }
  for (; k < t.k; k += 4, b += kQuadBytes) {  // the last one to three quads: never read past a row's depth
    for (int r = 0; r < kMr; ++r) a[r] = Product::load4(row[r] + k);
    quad<Product, 0>(acc, b, a);
  }
  std::int32_t sums[kMr][kQNr];
  for (int c = 0; c < 4; ++c) {
    int32x4_t shift = vdupq_n_s32(0);
    if constexpr (Product::kShifted) shift = vshlq_n_s32(vld1q_s32(t.b_column_sums + 4 * c), 7);
    for (int r = 0; r < kMr; ++r) vst1q_s32(sums[r] + 4 * c, vaddq_s32(acc[r][c], shift));
  }
  finish_q_tile<kMr>(t, sums);
}

inline uint8x16_t load_quad(const std::uint8_t* p) {
  std::uint32_t q;
  std::memcpy(&q, p, 4);
  return vreinterpretq_u8_u32(vdupq_n_u32(q));
}

}  // namespace aoi::kernels::neon_dot
