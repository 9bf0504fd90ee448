// Winograd F(m x m, 3x3) for 3x3 stride-1 pad-1 convolutions on NHWC data
// (Lavin & Gray, 2015), m = 2 or 4: each (m+2)^2 input tile becomes that many
// transformed values per channel, the convolution becomes (m+2)^2 independent
// GEMMs (tiles x in) * (in x out), and each result tile transforms back to
// m x m outputs. F(4,3) needs 36 products per 16 outputs (4x fewer than
// direct), F(2,3) 16 per 4 (2.25x fewer) but with weights 2.25x smaller, which
// is what counts when a layer's transformed weights stream from memory.
#pragma once

#include <span>

#include "aoi/core/tensor.hpp"
#include "aoi/kernels/packed_conv.hpp"
#include "kernels/microkernel.hpp"

namespace aoi::kernels {

// U = G g G^T for every (out, in) pair, computed in double, packed per point
// as micro-kernel panels in k blocks of kc_max (gemm_blocking.hpp).
struct WinogradWeights {
  WinogradWeights(int tile_out, int in_channels, int out_channels, std::span<const float> oihw, int nr, int kc_max);
  int m;  // outputs per tile side: 2 or 4
  int in_channels, out_channels, nr, panels, kc_max;
  AlignedFloats u;
  int points() const { return (m + 2) * (m + 2); }
};

// The per-tile data transforms, one set per ISA (each compiled for it). A
// tile's transformed points are `point_stride` floats apart from `v` (input)
// or `m` (output), which point at the tile's first point.
struct WinogradTransforms {
  using Input = void (*)(const float* input, int h, int w, int cin, int tile, int tiles_x, std::size_t point_stride,
                         float* v);
  // Output: channels [c_begin, c_end) of the tile (a thread may own a range).
  using Output = void (*)(const float* m, std::size_t point_stride, int cout, int c_begin, int c_end, int tile,
                          int tiles_x, int oh, int ow, const float* bias, const float* residual, bool relu,
                          float* output);
  Input input2, input4;
  Output output2, output4;
};
const WinogradTransforms& winograd_transforms(Isa isa);
WinogradTransforms winograd_transforms_generic();
WinogradTransforms winograd_transforms_avx2();
WinogradTransforms winograd_transforms_avx512();

inline int winograd_tiles(int size, int m) { return (size + m - 1) / m; }

// How a layer's work is split between threads: the register tiles of rows
// (tiles of the map, mr at a time) into row_parts contiguous parts, the
// output panels into panel_groups groups; one task per (part, group). Splitting
// panels gives each thread a share of the transformed weights to stream and
// evens out maps whose register tiles do not divide among the threads (7 on a
// 14x14 or 28x28 map: 4 + 3 on two threads), at the price of every group
// transforming the same input tiles. Chosen to minimise the busiest thread's
// work, counted per register tile as its panels plus `input_transform`, the
// cost of transforming one register tile of input in units of one panel's
// point GEMMs.
struct WinogradSplit {
  int row_parts = 1, panel_groups = 1;
  int tasks() const { return row_parts * panel_groups; }
};
WinogradSplit plan_winograd_split(int register_tiles, int panels, int threads, double input_transform);

// Each task of the split works through its tiles in blocks that fit in L2:
// input transform, the point GEMMs over its panels, output transform of its
// channels. In its scratch slot, each register tile of rows (mr tiles) is
// stored as [point][mr tiles][channels], so each point's GEMM reads whole
// register tiles and the transforms of one tile stay within one compact area.
// Floats of per-thread scratch for an h x w input.
std::size_t winograd_scratch_floats(int m, int in_channels, int out_channels, int h, int w, int mr);

void winograd_forward(const WinogradWeights& weights, const MicroKernel& mk, const float* input, int h, int w,
                      float* output, const float* bias, const float* residual, bool relu, const Scratch& scratch);

}  // namespace aoi::kernels
