// The int8 micro-kernel of the i8mm extension (FEAT_I8MM), 4 rows x 16
// columns on usmmla: one instruction multiplies a 2 x 8 block of u8 inputs
// (two rows' eight depths) by a 2 x 8 block of s8 weights (two columns'
// eight depths, packed with k_group 8 so that they are one 16-byte load) and
// adds the 2 x 2 products into four s32 lanes: 32 multiply-adds, twice
// sdot's. 16 accumulators (two row pairs x eight column pairs), 2 input and
// 8 weight registers fit the 32. Sums are exact and the epilogue is the
// scalar one (qgemm_finish.hpp), so results match every other path bit for
// bit. Compiled with +i8mm; qmicro_kernels() offers it only where the CPU
// reports the extension.
#include "kernels/qgemm.hpp"

#if defined(__aarch64__)
#include <arm_neon.h>

#include "kernels/qgemm_finish.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4, kGroup = 8;

void tile(const QTileArgs& t) {
  const std::uint8_t* row[kMr];
  for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;  // absent rows: row 0 again
  int32x4_t acc[2][kQNr / 2];  // [row pair][column pair]: lanes (r0 c0, r0 c1, r1 c0, r1 c1)
  for (auto& pair : acc)
    for (auto& v : pair) v = vdupq_n_s32(0);
  const std::int8_t* b = t.b;
  for (int k = 0; k < t.k; k += kGroup, b += kGroup * kQNr) {
    const uint8x16_t a01 = vcombine_u8(vld1_u8(row[0] + k), vld1_u8(row[1] + k));
    const uint8x16_t a23 = vcombine_u8(vld1_u8(row[2] + k), vld1_u8(row[3] + k));
    for (int c = 0; c < kQNr / 2; ++c) {
      const int8x16_t w = vld1q_s8(b + 16 * c);  // columns 2c and 2c + 1, eight depths each
      acc[0][c] = vusmmlaq_s32(acc[0][c], a01, w);
      acc[1][c] = vusmmlaq_s32(acc[1][c], a23, w);
    }
  }
  // Each row's four columns of two column pairs are the low (first row of
  // the pair) or high (second) halves of their accumulators.
  std::int32_t sums[kMr][kQNr];
  for (int p = 0; p < 2; ++p)
    for (int c = 0; c < kQNr / 2; c += 2) {
      const int64x2_t x = vreinterpretq_s64_s32(acc[p][c]), y = vreinterpretq_s64_s32(acc[p][c + 1]);
      vst1q_s32(sums[2 * p] + 2 * c, vreinterpretq_s32_s64(vzip1q_s64(x, y)));
      vst1q_s32(sums[2 * p + 1] + 2 * c, vreinterpretq_s32_s64(vzip2q_s64(x, y)));
    }
  finish_q_tile<kMr>(t, sums);
}

}  // namespace

QMicroKernel qmicrokernel_neon_i8mm() { return {Isa::kNeon, "neon_i8mm", kMr, &tile, kGroup}; }

}  // namespace aoi::kernels
#endif
