// Portable micro-kernel in plain C++ (4 x 8): the path for CPUs without AVX2
// and the baseline every SIMD path is tested against.
#include <algorithm>

#include "kernels/microkernel.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4, kNr = 8;

void tile(const TileArgs& t) {
  float acc[kMr][kNr] = {};
  for (int k = 0; k < t.kc; ++k) {
    const float* b = t.b + k * kNr;
    for (int r = 0; r < kMr; ++r) {
      const float av = r < t.rows ? t.a[r * t.a_row_stride + k] : 0.0f;
      for (int j = 0; j < kNr; ++j) acc[r][j] += av * b[j];
    }
  }
  const Epilogue* ep = t.epilogue;
  for (int r = 0; r < t.rows; ++r) {
    float* c = t.c + r * t.ldc;
    for (int j = 0; j < t.cols; ++j) {
      float v = acc[r][j];
      if (t.accumulate) v += c[j];
      if (ep) {
        if (ep->bias) v += ep->bias[j];
        if (ep->residual) v += ep->residual[r * ep->ld_residual + j];
        if (ep->relu) v = std::max(v, 0.0f);
      }
      c[j] = v;
    }
  }
}

}  // namespace

MicroKernel microkernel_scalar() { return {Isa::kScalar, kMr, kNr, &tile}; }

}  // namespace aoi::kernels
