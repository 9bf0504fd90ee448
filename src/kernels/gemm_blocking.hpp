// Cache blocking of the convolution GEMMs, shared by the direct and Winograd
// paths. Numbers, not tuning knobs: they follow from the micro-kernel shape
// and the cache sizes of the CPUs aoi targets (48 KiB L1d, >= 1 MiB L2).
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/microkernel.hpp"

namespace aoi::kernels {

// Depth of one k block: 16 Ki floats of B panel (256 x 64 on AVX-512, 64 KiB,
// served from L2; a 32 KiB panel that fits L1 measured no faster in the
// trunk, and the deeper block halves the passes over C).
inline int depth_block(const MicroKernel& mk) { return 16384 / mk.nr; }

// Splits a depth of k into equal blocks of at most about depth_block(): a K of
// 300 is one block, 576 two of 288 rather than 256 + 256 + 64 (a short block
// costs a full pass over C for little work).
inline int balanced_depth_block(const MicroKernel& mk, int k) {
  const int limit = depth_block(mk) + depth_block(mk) / 4;
  const int blocks = (k + limit - 1) / limit;
  return (k + blocks - 1) / blocks;
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

// Packed B (weights) is stored k block by k block: block [k0, k0 + kc) holds
// every panel's slice, panel after panel ([panel][kk][nr]). The GEMM walks k
// blocks outside and panels inside, so a layer's weights stream from memory
// in one sequential pass (the prefetchers keep up) instead of jumping a whole
// panel ahead at every step. This is the offset of panel p's slice of the
// block starting at k0 (all earlier blocks are kc_max deep).
inline std::size_t packed_b_offset(int k0, int kc, int p, int panels, int nr) {
  return (std::size_t(k0) * panels + std::size_t(p) * kc) * nr;
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
inline GemmTiling plan_tiling(int m, int panels, const MicroKernel& mk, int threads) {
  GemmTiling t;
  t.mc = block_rows(mk);
  t.m_blocks = (m + t.mc - 1) / t.mc;
  const int wanted = threads > 1 ? 4 * threads : 1;
  int n_blocks = 1;
  while (t.m_blocks * n_blocks < wanted && (panels + n_blocks * 2 - 1) / (n_blocks * 2) >= 2) n_blocks *= 2;
  t.panels_per_block = (panels + n_blocks - 1) / n_blocks;
  t.n_blocks = (panels + t.panels_per_block - 1) / t.panels_per_block;
  return t;
}

}  // namespace aoi::kernels
