// The int8 micro-kernel of the dot-product extension (FEAT_DotProd), 4 rows
// x 16 columns on sdot by element. Each instruction adds four columns'
// four-deep products of one row into four s32 lanes: the packed panel
// (kernels/qgemm.hpp) holds four columns of a depth quad in one 16-byte
// register, and the row's quad is picked as a lane of a register that holds
// 16 of its depths. sdot multiplies s8 by s8, so the u8 input is read as
// a - 128 (its top bit flipped) and 128 x each column's weight sum
// (QTileArgs::b_column_sums) is added back at the end: sums stay exact, and
// the epilogue is the scalar one (qgemm_finish.hpp), so results match every
// other path bit for bit. 16 accumulators, 4 rows of input and 4 weight
// registers fit the 32. Compiled with +dotprod; qmicro_kernels() offers it
// only where the CPU reports the extension.
#include "kernels/qgemm.hpp"

#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstring>

#include "kernels/qgemm_finish.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4;
constexpr int kQuadBytes = 4 * kQNr;  // one depth quad of a panel

int8x16_t shifted(uint8x16_t a) { return vreinterpretq_s8_u8(veorq_u8(a, vdupq_n_u8(0x80))); }  // a - 128

// One quad of depth for every row, each row's quad taken from lane Lane.
template <int Lane>
void quad(int32x4_t (&acc)[kMr][4], const std::int8_t* b, const int8x16_t (&a)[kMr]) {
  int8x16_t w[4];
  for (int c = 0; c < 4; ++c) w[c] = vld1q_s8(b + 16 * c);
  for (int r = 0; r < kMr; ++r)
    for (int c = 0; c < 4; ++c) acc[r][c] = vdotq_laneq_s32(acc[r][c], w[c], a[r], Lane);
}

void tile(const QTileArgs& t) {
  const std::uint8_t* row[kMr];
  for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;  // absent rows: row 0 again
  int32x4_t acc[kMr][4];
  for (auto& per_row : acc)
    for (auto& v : per_row) v = vdupq_n_s32(0);
  const std::int8_t* b = t.b;
  int8x16_t a[kMr];
  int k = 0;
  for (; k + 16 <= t.k; k += 16, b += 4 * kQuadBytes) {
    for (int r = 0; r < kMr; ++r) a[r] = shifted(vld1q_u8(row[r] + k));
    quad<0>(acc, b, a);
    quad<1>(acc, b + kQuadBytes, a);
    quad<2>(acc, b + 2 * kQuadBytes, a);
    quad<3>(acc, b + 3 * kQuadBytes, a);
  }
  for (; k < t.k; k += 4, b += kQuadBytes) {  // the last one to three quads: never read past a row's depth
    for (int r = 0; r < kMr; ++r) {
      std::uint32_t q;
      std::memcpy(&q, row[r] + k, 4);
      a[r] = shifted(vreinterpretq_u8_u32(vdupq_n_u32(q)));
    }
    quad<0>(acc, b, a);
  }
  std::int32_t sums[kMr][kQNr];
  for (int c = 0; c < 4; ++c) {
    const int32x4_t shift = vshlq_n_s32(vld1q_s32(t.b_column_sums + 4 * c), 7);
    for (int r = 0; r < kMr; ++r) vst1q_s32(sums[r] + 4 * c, vaddq_s32(acc[r][c], shift));
  }
  finish_q_tile<kMr>(t, sums);
}

}  // namespace

QMicroKernel qmicrokernel_neon_sdot() { return {Isa::kNeon, "neon_sdot", kMr, &tile}; }

}  // namespace aoi::kernels
#endif
