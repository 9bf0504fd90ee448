// What the int8 and bf16 convolutions share: each runs as a GEMM on NHWC
// activations, output pixels x output channels, its weights packed in
// panels of 16 columns with depth ordered (ky, kx, ic).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "core/parallel.hpp"
#include "kernels/packed_conv.hpp"

namespace aoi::kernels {

// Output pixels a task's row block holds: its patch rows (k_padded elements
// each, up to 4.5 KB of u8 in res5) stay in L2 while each weight panel
// streams by.
constexpr int kConvRowBlock = 48;

// Patch rows: row i is output pixel m0 + i's receptive field. Zero outside
// the input (0 is the zero of u8 activations and of bfloat16) and in the
// padding up to ld.
template <typename T>
void gather_patch_rows(const ConvSpec& s, const T* in, int h, int w, int m0, int rows, T* dst, int ld) {
  const int ow = s.out_size(w), cin = s.in_channels, run = s.kernel * cin;
  for (int i = 0; i < rows; ++i) {
    const int oy = (m0 + i) / ow, ox = (m0 + i) % ow;
    T* out = dst + std::size_t(i) * ld;
    const int ix0 = ox * s.stride - s.pad;
    for (int ky = 0; ky < s.kernel; ++ky, out += run) {
      const int iy = oy * s.stride - s.pad + ky;
      if (iy < 0 || iy >= h) {
        std::memset(out, 0, sizeof(T) * std::size_t(run));
      } else if (ix0 >= 0 && ix0 + s.kernel <= w) {
        std::memcpy(out, in + (std::size_t(iy) * w + ix0) * cin, sizeof(T) * std::size_t(run));
      } else {
        for (int kx = 0; kx < s.kernel; ++kx) {
          const int ix = ix0 + kx;
          if (ix < 0 || ix >= w) std::memset(out + kx * cin, 0, sizeof(T) * std::size_t(cin));
          else std::memcpy(out + kx * cin, in + (std::size_t(iy) * w + ix) * cin, sizeof(T) * std::size_t(cin));
        }
      }
    }
    const int k = s.kernel * run;
    if (ld > k) std::memset(dst + std::size_t(i) * ld + k, 0, sizeof(T) * std::size_t(ld - k));
  }
}

// One call of a micro-kernel: rows [m, m + rows) of the output, panels from
// `panel` on holding `cols` columns; row r of its input at a + r * a_stride.
template <typename T>
struct ConvTile {
  const T* a;
  std::ptrdiff_t a_stride;
  int m, rows, panel, cols;
};

// Runs a convolution's GEMM in parallel: row blocks of kConvRowBlock pixels
// (in place when `in_place`: a 1x1 stride-1 layer whose rows are its input,
// else gathered into the thread's scratch slot), times groups of panels, cut
// into calls of up to mr rows and `panels_per_call` panels.
template <typename T, typename Call>
void run_conv_tiles(const ConvSpec& s, const T* input, int h, int w, int k_padded, int panels, int panels_per_call,
                    int mr, bool in_place, const Scratch& scratch, Call&& call) {
  const int pixels = s.out_size(h) * s.out_size(w), cout = s.out_channels;
  const int row_blocks = (pixels + kConvRowBlock - 1) / kConvRowBlock;
  // Few row blocks (res5's 7x7 maps): the panels are split too, so every
  // thread has work; each task then gathers its rows itself. A group holds
  // whole calls where it can.
  const int threads = par::max_concurrency(), step = panels_per_call;
  const int wanted = std::min(panels, std::max(1, (2 * threads + row_blocks - 1) / row_blocks));
  const int per_group = std::min(panels, ((panels + wanted - 1) / wanted + step - 1) / step * step);
  const int groups = (panels + per_group - 1) / per_group;
  par::for_each_index(0, row_blocks * groups, [&](int task) {
    const int m0 = (task / groups) * kConvRowBlock, rows = std::min(kConvRowBlock, pixels - m0);
    const int p0 = (task % groups) * per_group, p1 = std::min(panels, p0 + per_group);
    const T* a;
    std::ptrdiff_t a_stride;
    if (in_place) {
      a = input + std::size_t(m0) * s.in_channels;
      a_stride = s.in_channels;
    } else {
      T* rows_buffer = reinterpret_cast<T*>(scratch.slot(par::current_thread_index()));
      gather_patch_rows(s, input, h, w, m0, rows, rows_buffer, k_padded);
      a = rows_buffer;
      a_stride = k_padded;
    }
    for (int p = p0; p < p1; p += step) {
      const int cols = std::min(std::min(step, p1 - p) * 16, cout - p * 16);
      for (int r0 = 0; r0 < rows; r0 += mr)
        call(ConvTile<T>{a + std::size_t(r0) * a_stride, a_stride, m0 + r0, std::min(mr, rows - r0), p, cols});
    }
  });
}

}  // namespace aoi::kernels
