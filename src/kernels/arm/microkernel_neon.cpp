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
    for (int k = 0; k < run; ++k, b += kNr) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
#pragma GCC unroll 8
      for (int r = 0; r < kMr; ++r) {
        const float av = row[r][k];
        lo[r] = vfmaq_n_f32(lo[r], b0, av);
        hi[r] = vfmaq_n_f32(hi[r], b1, av);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) row[r] += t.a_segment_stride;
  }
  for (int r = 0; r < t.rows; ++r) {
    float v[kNr];
    vst1q_f32(v, lo[r]);
    vst1q_f32(v + 4, hi[r]);
    finish_row(t, r, v);
  }
}

}  // namespace

MicroKernel microkernel_neon() { return {Isa::kNeon, kMr, kNr, &tile}; }

}  // namespace aoi::kernels
#endif
