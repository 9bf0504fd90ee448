// Portable micro-kernel in plain C++ (4 x 8): the path for CPUs without AVX2
// and the baseline every SIMD path is tested against.
#include <cstddef>

#include "kernels/microkernel.hpp"
#include "kernels/scalar_epilogue.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4, kNr = 8;

void tile(const TileArgs& t) {
  float acc[kMr][kNr] = {};
  const int depth = t.a_run();
  for (int k = 0; k < t.kc; ++k) {
    const float* b = t.b + k * kNr;
    const std::ptrdiff_t at = (k / depth) * t.a_segment_stride + k % depth;
    for (int r = 0; r < kMr; ++r) {
      const float av = r < t.rows ? t.a[r * t.a_row_stride + at] : 0.0f;
      for (int j = 0; j < kNr; ++j) acc[r][j] += av * b[j];
    }
  }
  for (int r = 0; r < t.rows; ++r) finish_row(t, r, acc[r]);
}

}  // namespace

MicroKernel microkernel_scalar() { return {Isa::kScalar, kMr, kNr, &tile}; }

}  // namespace aoi::kernels
