// NEON micro-kernel for aarch64: 8 rows x 8 columns (16 q-register
// accumulators). Compiled only when the target is aarch64; elsewhere this file
// is empty and have_microkernel(kNeon) is false.
#include "kernels/microkernel.hpp"

#if defined(__aarch64__)
#include <arm_neon.h>

#include "kernels/scalar_epilogue.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 8, kNr = 8;

// One depth of the tile, each row's value taken from lane Lane of a.
template <int Lane>
inline void step(float32x4_t (&lo)[kMr], float32x4_t (&hi)[kMr], const float32x4_t (&a)[kMr], const float* b) {
  const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) {
    lo[r] = vfmaq_laneq_f32(lo[r], b0, a[r], Lane);
    hi[r] = vfmaq_laneq_f32(hi[r], b1, a[r], Lane);
  }
}

void tile(const TileArgs& t) {
  float32x4_t lo[kMr], hi[kMr];
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) lo[r] = hi[r] = vdupq_n_f32(0.0f);
  const float* b = t.b;
  const float* row[kMr];
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) row[r] = t.a + (r < t.rows ? r : 0) * t.a_row_stride;
  const int depth = t.a_run();
  for (int k0 = 0; k0 < t.kc; k0 += depth) {
    const int run = t.kc - k0 < depth ? t.kc - k0 : depth;
    int k = 0;
    // Four depths per pass: one 4-float load per row feeds four
    // multiply-adds by lane, against a scalar load per row and depth (which
    // made loads, not multiplies, the loop's limit). Each sum still adds its
    // depths in order, so results are the same bits.
    for (; k + 4 <= run; k += 4) {
      float32x4_t a[kMr];
#pragma GCC unroll 8
      for (int r = 0; r < kMr; ++r) a[r] = vld1q_f32(row[r] + k);
      step<0>(lo, hi, a, b);
      step<1>(lo, hi, a, b + kNr);
      step<2>(lo, hi, a, b + 2 * kNr);
      step<3>(lo, hi, a, b + 3 * kNr);
      b += 4 * kNr;
    }
    for (; k < run; ++k, b += kNr) {  // the last one to three depths of a run
      float32x4_t a[kMr];
#pragma GCC unroll 8
      for (int r = 0; r < kMr; ++r) a[r] = vld1q_dup_f32(row[r] + k);
      step<0>(lo, hi, a, b);
    }
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) row[r] += t.a_segment_stride;
  }
  // Stored with constant indices: a loop to t.rows over the registers made
  // GCC keep them in memory, stored on every pass of the loop above.
  float v[kMr][kNr];
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) vst1q_f32(v[r], lo[r]), vst1q_f32(v[r] + 4, hi[r]);
  for (int r = 0; r < t.rows; ++r) finish_row(t, r, v[r]);
}

}  // namespace

MicroKernel microkernel_neon() { return {Isa::kNeon, kMr, kNr, &tile}; }

}  // namespace aoi::kernels
#endif
