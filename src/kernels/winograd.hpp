// Winograd F(4x4, 3x3) for 3x3 stride-1 pad-1 convolutions on NHWC data
// (Lavin & Gray, 2015): each 6x6 input tile becomes 36 transformed values per
// channel, the convolution becomes 36 independent GEMMs (tiles x in) * (in x
// out), and each 6x6 result tile transforms back to 4x4 outputs. That is 36
// multiplies per 16 outputs instead of 144: 4x fewer.
#pragma once

#include <span>

#include "aoi/core/tensor.hpp"
#include "aoi/kernels/packed_conv.hpp"
#include "kernels/microkernel.hpp"

namespace aoi::kernels {

constexpr int kWinogradTile = 6, kWinogradOut = 4, kWinogradPoints = 36;

// U = G g G^T for every (out, in) pair, computed in double, packed per point
// as micro-kernel panels: u[((point * panels + p) * in + ci) * nr + j].
struct WinogradWeights {
  WinogradWeights(int in_channels, int out_channels, std::span<const float> oihw, int nr);
  int in_channels, out_channels, nr, panels;
  AlignedFloats u;
};

inline int winograd_tiles(int size) { return (size + kWinogradOut - 1) / kWinogradOut; }

// Floats the forward pass needs in Scratch::shared for an h x w input: the
// transformed input (36 x tiles x in) and the GEMM results (36 x tiles x out).
std::size_t winograd_shared_floats(int in_channels, int out_channels, int h, int w);

void winograd_forward(const WinogradWeights& weights, const MicroKernel& mk, const float* input, int h, int w,
                      float* output, const float* bias, const float* residual, bool relu, const Scratch& scratch);

}  // namespace aoi::kernels
