// The epilogue of one register-tile row in plain C++, for the kernels that
// finish their tiles from an array (scalar, NEON). Only baseline-compiled
// files include it, so its inline code never carries another ISA's flags.
#pragma once

#include <algorithm>

#include "kernels/microkernel.hpp"

namespace aoi::kernels {

// Row r of the tile: c = relu?(values + c? + bias + residual), valid columns only.
inline void finish_row(const TileArgs& t, int r, const float* values) {
  const Epilogue* ep = t.epilogue;
  float* c = t.c + r * t.ldc;
  for (int j = 0; j < t.cols; ++j) {
    float v = values[j];
    if (t.accumulate) v += c[j];
    if (ep) {
      if (ep->bias) v += ep->bias[j];
      if (ep->residual) v += ep->residual[r * ep->ld_residual + j];
      if (ep->relu) v = std::max(v, 0.0f);
    }
    c[j] = v;
  }
}

}  // namespace aoi::kernels
