// Winograd F(m x m, 3x3) for 3x3 stride-1 pad-1 convolutions on NHWC data
// (Lavin & Gray, 2015), m = 2 or 4: each (m+2)^2 input tile becomes that many
// transformed values per channel, the convolution becomes (m+2)^2 independent
// GEMMs (tiles x in) * (in x out), and each result tile transforms back to
// m x m outputs. F(4,3) needs 36 products per 16 outputs (4x fewer than
// direct), F(2,3) 16 per 4 (2.25x fewer) but with weights 2.25x smaller, which
// is what counts when a layer's transformed weights stream from memory.
#pragma once

#include <algorithm>
#include <span>

#include "core/tensor.hpp"
#include "kernels/packed_conv.hpp"
#include "kernels/microkernel.hpp"

namespace aoi::kernels {

// U = G g G^T for every (out, in) pair, computed in double, packed per point
// as micro-kernel panels in k blocks of kc_max (gemm_blocking.hpp).
struct WinogradWeights {
  WinogradWeights(int tile_out, int in_channels, int out_channels, std::span<const float> oihw, int nr, int kc_max);
  // The layout alone: u is left empty for the caller to point at packed
  // weights made earlier (PackedConv::from_packed).
  WinogradWeights(int tile_out, int in_channels, int out_channels, int nr, int kc_max);
  int m;  // outputs per tile side: 2 or 4
  int in_channels, out_channels, nr, panels, kc_max;
  AlignedFloats u;
  int points() const { return (m + 2) * (m + 2); }
  std::size_t floats() const { return std::size_t(points()) * panels * in_channels * nr; }
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

// How a layer's work is split between threads. The unit of work is one
// register tile of the map (mr tiles) times one output panel: its point
// GEMMs and its output transform. Units are ordered register tile by
// register tile and dealt out in contiguous parts, one per thread, that
// differ by at most one unit, so every thread gets the same work even where
// the register tiles do not divide among the threads (7 on a 14x14 or 28x28
// map: 3.5 each on two threads instead of 4 + 3; that imbalance was most of
// what res3 and res4 lost at 2 threads). A register tile that two parts
// share is input-transformed by both; no other is.
//
// A part works in blocks of at most block_limit register tiles [rt0, rt1);
// every register tile of a block takes panels [p0, p1), except the first,
// which starts at panel first_p0, and the last, which ends before panel
// last_p1 (both are where the part's units begin and end).
struct WinogradBlock {
  int rt0, rt1, p0, p1, first_p0, last_p1;
  int panel_begin(int rt) const { return rt == rt0 ? first_p0 : p0; }
  int panel_end(int rt) const { return rt == rt1 - 1 ? last_p1 : p1; }
};
template <class F>
void for_each_winograd_block(int register_tiles, int panels, int parts, int part, int block_limit, F&& f) {
  const long long units = 1LL * register_tiles * panels;
  const long long u0 = units * part / parts, u1 = units * (part + 1) / parts;
  if (u0 == u1) return;
  const int first = int(u0 / panels), last = int((u1 + panels - 1) / panels);  // register tiles [first, last)
  const int count = last - first, blocks = (count + block_limit - 1) / block_limit;
  for (int b = 0; b < blocks; ++b) {  // blocks as even as whole register tiles allow
    const int rt0 = first + int(1LL * count * b / blocks), rt1 = first + int(1LL * count * (b + 1) / blocks);
    f(WinogradBlock{rt0, rt1, 0, panels, rt0 == first ? int(u0 % panels) : 0,
                    rt1 == last && u1 % panels != 0 ? int(u1 % panels) : panels});
  }
}

// Where a layer's transformed weights far outweigh its whole map's
// transformed data (res5 at 224x224 under F(2,3): 16.8 MB of weights against
// 1 MB), reading the weights is what costs, so each part reads as few of them
// as it can, once: the parts split the panels (output channels) between them,
// and each part takes all of the map's tiles in one block. Its transformed
// data then spills from L2, but that is one write and one read of a few
// hundred KiB, against the 16.8 MB that one L2-sized block per register tile
// read three times over, and that a split by tiles has every part read.
// Panels are dealt out whole, as evenly as they go, so this needs at least as
// many panels as parts (res5 has 8).
inline bool winograd_by_panels(int panels, int parts) { return parts <= panels; }
template <class F>
void for_each_winograd_panel_block(int register_tiles, int panels, int parts, int part, F&& f) {
  const int p0 = int(1LL * panels * part / parts), p1 = int(1LL * panels * (part + 1) / parts);
  if (p0 < p1) f(WinogradBlock{0, register_tiles, p0, p1, p0, p1});
}

// Each part works through its blocks, which fit in L2 (or, where the weights
// dominate, hold all of the map's tiles): input transform, the point GEMMs
// over the block's panels, output transform of their channels. In its
// scratch slot, each register tile of rows (mr tiles) is stored as
// [point][mr tiles][channels], so each point's GEMM reads whole
// register tiles and the transforms of one tile stay within one compact area.
// Floats of per-thread scratch for an h x w input.
std::size_t winograd_scratch_floats(int m, int in_channels, int out_channels, int h, int w, int mr);

void winograd_forward(const WinogradWeights& weights, const MicroKernel& mk, const float* input, int h, int w,
                      float* output, const float* bias, const float* residual, bool relu, const Scratch& scratch);

}  // namespace aoi::kernels
