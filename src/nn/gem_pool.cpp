#include "nn/gem_pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

// Compiled with -fno-trapping-math, so that the NHWC loop vectorizes (aoi
// never unmasks floating-point traps), and -ffp-contract=off, so that both
// layouts round each term alike (src/CMakeLists.txt).

namespace aoi::nn {
namespace {

inline double cube_of_positive(float f) {
  const double v = f > 0.0f ? f : 0.0f;
  return v * v * v;
}

}  // namespace

void gem_pool_nchw(const float* data, int channels, int pixels, float* out) {
  for (int c = 0; c < channels; ++c) {
    const float* x = data + std::size_t(c) * pixels;
    double sum = 0;
    for (int i = 0; i < pixels; ++i) sum += cube_of_positive(x[i]);
    out[c] = float(std::cbrt(sum / pixels));
  }
}

void gem_pool_nhwc(const float* data, int channels, int pixels, float* out) {
  constexpr int kChunk = 256;  // channels summed at once: 2 KiB of sums on the stack
  for (int c0 = 0; c0 < channels; c0 += kChunk) {
    const int n = std::min(kChunk, channels - c0);
    double sums[kChunk] = {};
    for (int i = 0; i < pixels; ++i) {
      const float* x = data + std::size_t(i) * channels + c0;
      for (int c = 0; c < n; ++c) sums[c] += cube_of_positive(x[c]);
    }
    for (int c = 0; c < n; ++c) out[c0 + c] = float(std::cbrt(sums[c] / pixels));
  }
}

}  // namespace aoi::nn
