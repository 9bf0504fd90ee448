// What one micro-kernel call must produce, in double: shared by the gtest
// suite (tests/test_packed_conv.cpp) and the cross-compiled NEON check
// (tests/cross/microkernel_check.cpp, which has no gtest). Header-only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "kernels/microkernel.hpp"

namespace aoi::test {

// Element (r, k) of the tile's A, through its row stride and segments.
inline float tile_a_at(const kernels::TileArgs& t, int r, int k) {
  const int depth = t.a_run();
  return t.a[std::ptrdiff_t(r) * t.a_row_stride + std::ptrdiff_t(k / depth) * t.a_segment_stride + k % depth];
}

// A random A for `rows` x `kc`: plain rows `lda` apart, or (segmented) rows
// that overlap, as a convolution's patch rows read in place do (row stride
// below the depth), with the depth cut into segments of a random length.
// Holds exactly what the tile may read, so a sanitiser catches stray reads.
struct TileA {
  std::vector<float> values;
  std::ptrdiff_t row_stride = 0, segment_stride = 0;
  int segment_depth = 0;
};
template <class Rng>
TileA random_tile_a(int rows, int kc, bool segmented, Rng& rng) {
  TileA a;
  std::uniform_real_distribution<float> value(-1, 1);
  if (!segmented) {
    a.row_stride = kc + std::uniform_int_distribution<int>(0, 5)(rng);
    a.values.resize(std::size_t(rows - 1) * a.row_stride + kc);
  } else {
    a.segment_depth = std::uniform_int_distribution<int>(1, kc)(rng);
    const int segments = (kc + a.segment_depth - 1) / a.segment_depth;
    const int last = kc - (segments - 1) * a.segment_depth;  // depth of the last segment
    a.row_stride = std::uniform_int_distribution<int>(1, 8)(rng);
    a.segment_stride = std::ptrdiff_t(rows - 1) * a.row_stride + a.segment_depth +
                       std::uniform_int_distribution<int>(0, 9)(rng);
    a.values.resize(std::size_t(rows - 1) * a.row_stride + std::size_t(segments - 1) * a.segment_stride + last);
  }
  for (auto& v : a.values) v = value(rng);
  return a;
}

struct TileExpectation {
  double value;  // the exact result
  double scale;  // 1 + sum |a * b|: rounding of the float sum grows with it
};

// Element (r, j) of the tile `t` computed by kernel `mk`, with `c_before`
// the C element before the call (B panel rows nr wide).
inline TileExpectation expected_tile_value(const kernels::TileArgs& t, int nr, int r, int j, float c_before) {
  double want = 0, scale = 1;
  for (int k = 0; k < t.kc; ++k) {
    const double p = double(tile_a_at(t, r, k)) * t.b[std::size_t(k) * nr + j];
    want += p;
    scale += std::abs(p);
  }
  if (t.accumulate) want += c_before;
  if (const auto* ep = t.epilogue) {
    if (ep->bias) want += ep->bias[j];
    if (ep->residual) want += ep->residual[std::size_t(r) * ep->ld_residual + j];
    if (ep->relu) want = std::max(want, 0.0);
  }
  return {want, scale};
}

}  // namespace aoi::test
