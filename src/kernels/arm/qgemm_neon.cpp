// NEON int8 micro-kernel for aarch64 (any ARMv8-A: no dot-product
// instructions needed), 4 rows x 16 columns, run as two row pairs x two
// column halves so that 16 accumulators fit beside the operands. u8
// activations and s8 weights widen to s16; each column keeps four s32
// partial sums (one per depth of a quad, smlal/smlal2), added pairwise at the
// end. Sums are exact, and the epilogue is the scalar one (qgemm_finish.hpp),
// so results match every other path bit for bit. Empty off aarch64.
#include "kernels/qgemm.hpp"

#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstring>

#include "kernels/qgemm_finish.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4;

// Rows r0 and r0 + 1 (the second may be absent) x columns c0..c0+7 over the
// whole depth, into sums[r][c0 + j].
void pair_half(const QTileArgs& t, int r0, int c0, std::int32_t (*sums)[kQNr]) {
  int32x4_t acc[2][8];
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 8; ++j) acc[r][j] = vdupq_n_s32(0);
  const std::uint8_t* row0 = t.a + r0 * t.a_row_stride;
  const std::uint8_t* row1 = r0 + 1 < t.rows ? row0 + t.a_row_stride : row0;
  const std::int8_t* b = t.b + c0 * 4;
  for (int k = 0; k < t.k; k += 4, b += 4 * kQNr) {
    std::uint32_t q0, q1;
    std::memcpy(&q0, row0 + k, 4);
    std::memcpy(&q1, row1 + k, 4);
    // [a0 a1 a2 a3 a0 a1 a2 a3] as s16: the quad twice, one per column of a pair.
    const int16x8_t a0 = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(q0))));
    const int16x8_t a1 = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(q1))));
    const int8x16_t b01 = vld1q_s8(b), b23 = vld1q_s8(b + 16);  // columns 0-3, 4-7 of the half
    const int16x8_t w[4] = {vmovl_s8(vget_low_s8(b01)), vmovl_high_s8(b01), vmovl_s8(vget_low_s8(b23)),
                            vmovl_high_s8(b23)};  // w[i]: columns 2i, 2i+1, four depths each
    for (int i = 0; i < 4; ++i) {
      acc[0][2 * i] = vmlal_s16(acc[0][2 * i], vget_low_s16(a0), vget_low_s16(w[i]));
      acc[0][2 * i + 1] = vmlal_high_s16(acc[0][2 * i + 1], a0, w[i]);
      acc[1][2 * i] = vmlal_s16(acc[1][2 * i], vget_low_s16(a1), vget_low_s16(w[i]));
      acc[1][2 * i + 1] = vmlal_high_s16(acc[1][2 * i + 1], a1, w[i]);
    }
  }
  for (int r = 0; r < 2 && r0 + r < t.rows; ++r)
    for (int j = 0; j < 8; j += 4) {
      const int32x4_t s = vpaddq_s32(vpaddq_s32(acc[r][j], acc[r][j + 1]), vpaddq_s32(acc[r][j + 2], acc[r][j + 3]));
      vst1q_s32(sums[r0 + r] + c0 + j, s);
    }
}

void tile(const QTileArgs& t) {
  std::int32_t sums[kMr][kQNr];
  for (int r0 = 0; r0 < t.rows; r0 += 2) {
    pair_half(t, r0, 0, sums);
    if (t.cols > 8) pair_half(t, r0, 8, sums);
  }
  finish_q_tile<kMr>(t, sums);
}

}  // namespace

QMicroKernel qmicrokernel_neon() { return {Isa::kNeon, "neon", kMr, &tile}; }

}  // namespace aoi::kernels
#endif
