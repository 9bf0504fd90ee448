// The data transforms of Winograd F(2,3) and F(4,3), vectorised over
// channels. Included once by each ISA's translation unit (winograd_*.cpp),
// which is compiled for that ISA; everything here has internal linkage, so
// the copies never mix.
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/winograd.hpp"

namespace aoi::kernels {
namespace {

// Channels transformed together: one 64-byte vector. GCC's vector extension
// lowers it to one zmm (AVX-512), two ymm (AVX2) or four xmm (SSE2, NEON).
constexpr int kLanes = 16;
typedef float Vec __attribute__((vector_size(64)));

inline Vec load_vec(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void store_vec(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }

// `lanes` channels from src, the rest zero.
inline Vec load_lanes(const float* src, int lanes) {
  if (lanes == kLanes) return load_vec(src);
  alignas(64) float tmp[kLanes] = {};
  for (int c = 0; c < lanes; ++c) tmp[c] = src[c];
  return load_vec(tmp);
}
inline void store_lanes(float* dst, Vec v, int lanes) {
  if (lanes == kLanes) return store_vec(dst, v);
  alignas(64) float tmp[kLanes];
  store_vec(tmp, v);
  for (int c = 0; c < lanes; ++c) dst[c] = tmp[c];
}

// One axis of the input transform, B^T x (m + 2 values).
template <int M>
struct InputTransform;
template <>
struct InputTransform<2> {
  static void apply(const Vec* x, Vec* y) {
    y[0] = x[0] - x[2];
    y[1] = x[1] + x[2];
    y[2] = x[2] - x[1];
    y[3] = x[1] - x[3];
  }
};
template <>
struct InputTransform<4> {
  static void apply(const Vec* x, Vec* y) {
    y[0] = 4 * x[0] - 5 * x[2] + x[4];
    y[1] = -4 * (x[1] + x[2]) + x[3] + x[4];
    y[2] = 4 * (x[1] - x[2]) - x[3] + x[4];
    y[3] = 2 * (x[3] - x[1]) - x[2] + x[4];
    y[4] = 2 * (x[1] - x[3]) - x[2] + x[4];
    y[5] = 4 * x[1] - 5 * x[3] + x[5];
  }
};

// One axis of the output transform, A^T x (m values from m + 2).
template <int M>
struct OutputTransform;
template <>
struct OutputTransform<2> {
  static void apply(const Vec* x, Vec* y) {
    y[0] = x[0] + x[1] + x[2];
    y[1] = x[1] - x[2] - x[3];
  }
};
template <>
struct OutputTransform<4> {
  static void apply(const Vec* x, Vec* y) {
    const Vec s12 = x[1] + x[2], d12 = x[1] - x[2], s34 = x[3] + x[4], d34 = x[3] - x[4];
    y[0] = x[0] + s12 + s34;
    y[1] = d12 + 2 * d34;
    y[2] = s12 + 4 * s34;
    y[3] = d12 + 8 * d34 + x[5];
  }
};

// Tile t's transformed points for channels [c0, c0 + kLanes): point p goes
// to v + p * point_stride (v: the tile's point 0). Rows are transformed as
// they are loaded and columns as they are stored, so that only one row of
// the patch and the half-transformed tile are live: transforming the loaded
// patch as a whole kept three A x A arrays of vectors, which spilled from the
// registers and made the transforms a large share of res2's 3x3 layers.
// Tiles inside the map (all but the edges) load without bounds checks.
template <int M>
void transform_input_group(const float* input, int h, int w, int cin, int t, int tiles_x, int c0,
                           std::size_t point_stride, float* v) {
  constexpr int A = M + 2;
  const int y0 = (t / tiles_x) * M - 1, x0 = (t % tiles_x) * M - 1;
  const int lanes = std::min(kLanes, cin - c0);
  const bool inside = lanes == kLanes && y0 >= 0 && x0 >= 0 && y0 + A <= h && x0 + A <= w;
  Vec half[A][A];  // half[i] = B^T applied to row i of the patch (d B)
#pragma GCC unroll 8
  for (int i = 0; i < A; ++i) {
    const int y = y0 + i;
    Vec d[A];
    if (inside) {
      const float* row = input + (std::size_t(y) * w + x0) * cin + c0;
#pragma GCC unroll 8
      for (int j = 0; j < A; ++j) d[j] = load_vec(row + std::size_t(j) * cin);
    } else {
      for (int j = 0; j < A; ++j) {
        const int x = x0 + j;
        d[j] = (y < 0 || y >= h || x < 0 || x >= w) ? Vec{}
                                                    : load_lanes(input + (std::size_t(y) * w + x) * cin + c0, lanes);
      }
    }
    InputTransform<M>::apply(d, half[i]);
  }
#pragma GCC unroll 8
  for (int j = 0; j < A; ++j) {  // columns: V[.][j] = B^T half[.][j]
    Vec col[A], out[A];
#pragma GCC unroll 8
    for (int i = 0; i < A; ++i) col[i] = half[i][j];
    InputTransform<M>::apply(col, out);
#pragma GCC unroll 8
    for (int i = 0; i < A; ++i) store_lanes(v + (i * A + j) * point_stride + c0, out[i], lanes);
  }
}

// Tile t's m x m outputs for channels [c0, c0 + kLanes) from its GEMM
// results (point p at m + p * point_stride), plus bias and residual, then
// ReLU; outputs past the image edge are dropped. Rows of points are
// transformed as they are loaded, as in the input transform.
template <int M>
void transform_output_group(const float* m, std::size_t point_stride, int cout, int t, int tiles_x, int c0, int lanes,
                            int oh, int ow, const float* bias, const float* residual, bool relu, float* output) {
  constexpr int A = M + 2;
  Vec half[A][M];  // half[i] = A^T applied to row i of the points
#pragma GCC unroll 8
  for (int i = 0; i < A; ++i) {
    Vec row[A];
#pragma GCC unroll 8
    for (int j = 0; j < A; ++j) row[j] = load_lanes(m + (i * A + j) * point_stride + c0, lanes);
    OutputTransform<M>::apply(row, half[i]);
  }
  const Vec b = load_lanes(bias + c0, lanes), zero = Vec{};
  const int y0 = (t / tiles_x) * M, x0 = (t % tiles_x) * M;
#pragma GCC unroll 8
  for (int j = 0; j < M; ++j) {  // columns of outputs
    if (x0 + j >= ow) break;
    Vec col[A], out[M];
#pragma GCC unroll 8
    for (int i = 0; i < A; ++i) col[i] = half[i][j];
    OutputTransform<M>::apply(col, out);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      if (y0 + i >= oh) break;
      const std::size_t at = (std::size_t(y0 + i) * ow + x0 + j) * cout + c0;
      Vec y = out[i] + b;
      if (residual) y += load_lanes(residual + at, lanes);
      if (relu) y = y > zero ? y : zero;
      store_lanes(output + at, y, lanes);
    }
  }
}

// Asks for the input pixels that tile t + 1 reads and tile t does not: the m
// columns past tile t's right edge, or the whole patch when t + 1 starts a new
// row of tiles. A block transforms its tiles in order, and its input mostly
// comes from L3 (the previous layer wrote more than L2 holds). The gain is
// small; check it with bench/ab_builds.sh kernels '^res3_3x3_128/' against a
// build without the prefetch before relying on it.
template <int M>
void prefetch_next_input(const float* input, int h, int w, int cin, int t, int tiles_x) {
  constexpr int A = M + 2;
  const int next = t + 1, y0 = (next / tiles_x) * M - 1, x0 = (next % tiles_x) * M - 1;
  const int x_begin = std::max(0, next % tiles_x == 0 ? x0 : x0 + A - M), x_end = std::min(w, x0 + A);
  if (y0 + 1 >= h || x_begin >= x_end) return;
  for (int y = std::max(0, y0); y < std::min(h, y0 + A); ++y) {
    const char* row = reinterpret_cast<const char*>(input + (std::size_t(y) * w + x_begin) * cin);
    const std::size_t bytes = std::size_t(x_end - x_begin) * cin * sizeof(float);
    for (std::size_t b = 0; b < bytes; b += 64) __builtin_prefetch(row + b);
  }
}

template <int M>
void transform_input_tile(const float* input, int h, int w, int cin, int t, int tiles_x, std::size_t point_stride,
                          float* v) {
  prefetch_next_input<M>(input, h, w, cin, t, tiles_x);
  for (int c0 = 0; c0 < cin; c0 += kLanes) transform_input_group<M>(input, h, w, cin, t, tiles_x, c0, point_stride, v);
}

template <int M>
void transform_output_tile(const float* m, std::size_t point_stride, int cout, int c_begin, int c_end, int t,
                           int tiles_x, int oh, int ow, const float* bias, const float* residual, bool relu,
                           float* output) {
  for (int c0 = c_begin; c0 < c_end; c0 += kLanes)
    transform_output_group<M>(m, point_stride, cout, t, tiles_x, c0, std::min(kLanes, c_end - c0), oh, ow, bias,
                              residual, relu, output);
}

inline WinogradTransforms make_transforms() {
  return {&transform_input_tile<2>, &transform_input_tile<4>, &transform_output_tile<2>, &transform_output_tile<4>};
}

}  // namespace
}  // namespace aoi::kernels
