// What one micro-kernel call must produce, in double: shared by the gtest
// suite (tests/test_packed_conv.cpp) and the cross-compiled NEON check
// (tests/cross/microkernel_check.cpp, which has no gtest). Header-only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/microkernel.hpp"

namespace aoi::test {

struct TileExpectation {
  double value;  // the exact result
  double scale;  // 1 + sum |a * b|: rounding of the float sum grows with it
};

// Element (r, j) of the tile `t` computed by kernel `mk`, with `c_before`
// the C element before the call (B panel rows nr wide).
inline TileExpectation expected_tile_value(const kernels::TileArgs& t, int nr, int r, int j, float c_before) {
  double want = 0, scale = 1;
  for (int k = 0; k < t.kc; ++k) {
    const double p = double(t.a[std::size_t(r) * t.a_row_stride + k]) * t.b[std::size_t(k) * nr + j];
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
