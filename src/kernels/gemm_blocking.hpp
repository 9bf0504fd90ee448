// Cache blocking of the convolution GEMMs, shared by the direct and Winograd
// paths. Numbers, not tuning knobs: they follow from the micro-kernel shape
// and the cache sizes of the CPUs aoi targets (48 KiB L1d, >= 1 MiB L2).
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/microkernel.hpp"

namespace aoi::kernels {

// Depth of one k block: 16 Ki floats of B panel (256 x 64 on AVX-512, 64 KiB,
// served from L2; a 32 KiB panel that fits L1 was no faster in the trunk in a
// one-off run with temporary code, and the deeper block halves the passes
// over C).
inline int depth_block(const MicroKernel& mk) { return 16384 / mk.nr; }

// Splits a depth of k into equal blocks of at most about depth_block(): a K of
// 300 is one block, 576 two of 288 rather than 256 + 256 + 64 (a short block
// costs a full pass over C for little work).
inline int balanced_depth_block(const MicroKernel& mk, int k) {
  const int limit = depth_block(mk) + depth_block(mk) / 4;
  const int blocks = (k + limit - 1) / limit;
  return (k + blocks - 1) / blocks;
}

// Depth of the k blocks of a k x k convolution that reads its input in place
// by kernel rows (segments of kernel * in_channels floats, one per kernel row
// of a patch): a block holds whole segments, or lies within one, so that no
// register tile's read crosses a kernel row in the middle of a block. Within
// depth_block()'s range like balanced_depth_block(); 0 when no such depth
// exists (the caller then gathers). res5's 3x3 (1536-float segments) gets
// 256-deep blocks, six per kernel row.
inline int segment_depth_block(const MicroKernel& mk, int kernel, int in_channels) {
  const int limit = depth_block(mk) + depth_block(mk) / 4, segment = kernel * in_channels;
  if (kernel * segment <= limit) return kernel * segment;
  if (segment <= limit) {  // whole segments, spread evenly over the blocks
    const int per_block = limit / segment, blocks = (kernel + per_block - 1) / per_block;
    return (kernel + blocks - 1) / blocks * segment;
  }
  const int fewest = (segment + limit - 1) / limit;
  for (int parts = fewest; parts <= 4 * fewest; ++parts)
    if (segment % parts == 0) return segment / parts;
  return 0;
}

// Row stride of gathered patch rows: whole cache lines plus one, so that the
// rows of a register tile do not all map to the same L1 sets.
inline int gathered_row_stride(int kc) { return (kc + 15) / 16 * 16 + 16; }

// Rows of A per block: as many whole register tiles as fit 256 KiB of L2 at
// the deepest k block, so that B (the weights) is streamed from memory once
// per block: with 7 x 64 tiles and 256-deep k blocks that is 189 rows (a 7x7
// map in one block, 14x14 in two).
inline int block_rows(const MicroKernel& mk) {
  const int rows = (256 * 1024 / 4) / gathered_row_stride(depth_block(mk) + depth_block(mk) / 4);
  return std::max(1, rows / mk.mr) * mk.mr;
}

// The most rows plan_tiling() puts in one block: block_rows() and a sixteenth
// more (196 on AVX-512), so that a map a little over a whole number of blocks
// does not leave a sliver block (14x14 = 196 rows had been 189 + 7, the 7-row
// block streaming the layer's weights again for 7 of its 196 rows).
inline int max_block_rows(const MicroKernel& mk) {
  return std::max(mk.mr, (block_rows(mk) + block_rows(mk) / 16) / mk.mr * mk.mr);
}

// Packed B (weights) is stored k block by k block: block [k0, k0 + kc) holds
// every panel's slice, panel after panel ([panel][kk][nr]). The GEMM walks k
// blocks outside and panels inside, so a layer's weights stream from memory
// in one sequential pass (the prefetchers keep up) instead of jumping a whole
// panel ahead at every step. This is the offset of panel p's slice of the
// block starting at k0 (all earlier blocks are kc_max deep).
inline std::size_t packed_b_offset(int k0, int kc, int p, int panels, int nr) {
  return (std::size_t(k0) * panels + std::size_t(p) * kc) * nr;
}

// Where element (k, column) of a packed B of `depth` rows lives.
inline std::size_t packed_b_at(int k, int column, int depth, int kc_max, int panels, int nr) {
  const int k0 = k / kc_max * kc_max, kc = std::min(kc_max, depth - k0);
  return packed_b_offset(k0, kc, column / nr, panels, nr) + std::size_t(k - k0) * nr + column % nr;
}

// One k block of C (+)= A * B over panels [p0, p1), register tile by
// register tile, panel-major: the panel's slice of B stays hot while the
// micro-kernel walks down the rows. Rows of A and C come in register tiles of
// mk.mr rows: row r of tile i starts at a + i * a_tile_stride + r *
// a_row_stride (C likewise), which covers plain row-major matrices
// (tile stride = mr * row stride) and Winograd's per-point blocks.
struct BlockProduct {
  int kc = 0, rows = 0, cols = 0;  // cols: C's full width (the last panel may be partial)
  const float* a = nullptr;
  std::ptrdiff_t a_row_stride = 0, a_tile_stride = 0;
  // Instead of a + i * a_tile_stride: register tile i's rows start at
  // a_tiles[i] + a_k_offset (strided 1x1 layers read their input in place,
  // each tile within one output row).
  const float* const* a_tiles = nullptr;
  std::ptrdiff_t a_k_offset = 0;
  int a_segment_depth = 0;  // TileArgs: A's depth in segments (k x k convolutions read in place)
  std::ptrdiff_t a_segment_stride = 0;
  const float* b = nullptr;  // the k block: packed_b_offset(k0, kc, 0, ...)
  float* c = nullptr;
  std::ptrdiff_t ldc = 0, c_tile_stride = 0;
  // Instead of c + i * c_tile_stride: register tile i's rows start at
  // c_tiles[i] (an output with a zero border, each tile within one row).
  float* const* c_tiles = nullptr;
  bool accumulate = false;
  // Applied when `finish` (the last k block): bias (padded to whole panels),
  // residual (laid out like C), ReLU.
  bool finish = false, relu = false;
  const float* bias = nullptr;
  const float* residual = nullptr;
};

inline void multiply_block(const MicroKernel& mk, const BlockProduct& op, int p0, int p1) {
  for (int p = p0; p < p1; ++p) {
    const std::size_t col = std::size_t(p) * mk.nr;
    Epilogue ep{op.bias ? op.bias + col : nullptr, nullptr, op.ldc, op.relu};
    for (int i = 0; i < op.rows; i += mk.mr) {
      const std::ptrdiff_t tile = i / mk.mr;
      TileArgs t;
      t.kc = op.kc;
      t.a = op.a_tiles ? op.a_tiles[tile] + op.a_k_offset : op.a + tile * op.a_tile_stride;
      t.a_row_stride = op.a_row_stride;
      t.a_segment_depth = op.a_segment_depth, t.a_segment_stride = op.a_segment_stride;
      t.b = op.b + std::size_t(p) * op.kc * mk.nr;
      t.c = (op.c_tiles ? op.c_tiles[tile] : op.c + tile * op.c_tile_stride) + col;
      t.ldc = op.ldc;
      t.rows = std::min(mk.mr, op.rows - i);
      t.cols = std::min(mk.nr, op.cols - int(col));
      t.accumulate = op.accumulate;
      if (op.finish) {
        ep.residual = op.residual ? op.residual + tile * op.c_tile_stride + col : nullptr;
        t.epilogue = &ep;
      }
      mk.run(t);
    }
  }
}

struct GemmTiling {
  int mc = 0, m_blocks = 0;
  int panels_per_block = 0, n_blocks = 0;
  int tiles() const { return m_blocks * n_blocks; }
};

// Splits m rows x panels columns into tiles: whole column ranges when there
// are enough row blocks to keep every thread busy (A is packed once), narrower
// column ranges when there are not (the 7x7 and 14x14 layers at batch 1).
// The split changes which thread computes a value, never how it is summed.
//
// Row blocks are as even as whole register tiles allow, at most
// max_block_rows(): ResNet-50's maps at 224x224 (3136, 784, 196, 49 and 12544
// rows) all split into blocks of 196 or fewer equal ones, so that the row
// blocks also divide evenly among two threads.
//
// Row blocks are whole multiples of `unit` rows: a register tile by default,
// a whole (padded) output row where each output row is its own run of tiles
// (packed_conv.cpp, tiles_by_output_row).
inline GemmTiling plan_tiling(int m, int panels, const MicroKernel& mk, int threads, int unit = 0) {
  GemmTiling t;
  if (unit <= 0) unit = mk.mr;
  const int most = std::max(unit, max_block_rows(mk) / unit * unit);
  t.m_blocks = std::max(1, (m + most - 1) / most);
  const int rows = (m + t.m_blocks - 1) / t.m_blocks;
  t.mc = (rows + unit - 1) / unit * unit;  // <= most: most is a multiple of unit
  t.m_blocks = (m + t.mc - 1) / t.mc;
  const int wanted = threads > 1 ? 4 * threads : 1;
  int n_blocks = 1;
  while (t.m_blocks * n_blocks < wanted && (panels + n_blocks * 2 - 1) / (n_blocks * 2) >= 2) n_blocks *= 2;
  t.panels_per_block = (panels + n_blocks - 1) / n_blocks;
  t.n_blocks = (panels + t.panels_per_block - 1) / t.panels_per_block;
  return t;
}

}  // namespace aoi::kernels
