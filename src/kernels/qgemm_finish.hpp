// The int8 epilogue from an array of s32 sums, for the kernels that finish
// their tiles in plain C++ (scalar, NEON), built with -ffp-contract=off
// (qgemm.hpp). The NEON dot-product and i8mm files, compiled for their
// extensions, include it too: like q_dequantize, each file gets its own
// copy (an unnamed namespace), so the baseline kernels never call code
// compiled for an extension.
#pragma once

#include "kernels/qgemm.hpp"

namespace aoi::kernels {

namespace {
template <int Mr>
inline void finish_q_tile(const QTileArgs& t, const std::int32_t (*sums)[kQNr]) {
  const QEpilogue& ep = t.ep;
  for (int r = 0; r < t.rows && r < Mr; ++r)
    for (int j = 0; j < t.cols; ++j) {
      float v = q_dequantize(sums[r][j], ep.scale[j], ep.bias[j]);
      if (ep.residual) v += ep.residual[r * ep.ld_residual + j];
      if (ep.relu) v = v > 0.0f ? v : 0.0f;  // as maxps: -0 becomes +0
      if (ep.out_f32) ep.out_f32[r * ep.ld_f32 + j] = v;
      if (ep.out_u8) ep.out_u8[r * ep.ld_u8 + j] = q_requantize(v, ep.out_inv_step);
    }
}

}  // namespace

}  // namespace aoi::kernels
