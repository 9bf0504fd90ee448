#include "kernels/winograd.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>

#include "aoi/core/error.hpp"
#include "kernels/gemm_blocking.hpp"

namespace aoi::kernels {
namespace {

// Channels transformed together: one vector register's worth or more, so the
// loops over them vectorise.
constexpr int kLanes = 16;

// G of F(2, 3) (points 0, +-1, infinity) and of F(4, 3) (0, +-1, +-2, infinity).
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kG4[6][3] = {{1.0 / 4, 0, 0},
                             {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                             {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                             {1.0 / 24, 1.0 / 12, 1.0 / 6},
                             {1.0 / 24, -1.0 / 12, 1.0 / 6},
                             {0, 0, 1}};

// Input transform along one axis: out = B^T * in, where `in` and `out` are
// m + 2 rows of kLanes channels each, `step` floats apart.
template <int M>
void input_1d(const float* in, std::size_t in_step, float* out, std::size_t out_step);

template <>
void input_1d<2>(const float* in, std::size_t in_step, float* out, std::size_t out_step) {
  for (int c = 0; c < kLanes; ++c) {
    const float d0 = in[c], d1 = in[in_step + c], d2 = in[2 * in_step + c], d3 = in[3 * in_step + c];
    out[c] = d0 - d2;
    out[out_step + c] = d1 + d2;
    out[2 * out_step + c] = d2 - d1;
    out[3 * out_step + c] = d1 - d3;
  }
}

template <>
void input_1d<4>(const float* in, std::size_t in_step, float* out, std::size_t out_step) {
  for (int c = 0; c < kLanes; ++c) {
    const float d0 = in[c], d1 = in[in_step + c], d2 = in[2 * in_step + c], d3 = in[3 * in_step + c],
                d4 = in[4 * in_step + c], d5 = in[5 * in_step + c];
    out[c] = 4 * d0 - 5 * d2 + d4;
    out[out_step + c] = -4 * (d1 + d2) + d3 + d4;
    out[2 * out_step + c] = 4 * (d1 - d2) - d3 + d4;
    out[3 * out_step + c] = 2 * (d3 - d1) - d2 + d4;
    out[4 * out_step + c] = 2 * (d1 - d3) - d2 + d4;
    out[5 * out_step + c] = 4 * d1 - 5 * d3 + d5;
  }
}

// Output transform along one axis: m rows from m + 2, out = A^T * in.
template <int M>
void output_1d(const float* in, std::size_t in_step, float* out, std::size_t out_step);

template <>
void output_1d<2>(const float* in, std::size_t in_step, float* out, std::size_t out_step) {
  for (int c = 0; c < kLanes; ++c) {
    const float m0 = in[c], m1 = in[in_step + c], m2 = in[2 * in_step + c], m3 = in[3 * in_step + c];
    out[c] = m0 + m1 + m2;
    out[out_step + c] = m1 - m2 - m3;
  }
}

template <>
void output_1d<4>(const float* in, std::size_t in_step, float* out, std::size_t out_step) {
  for (int c = 0; c < kLanes; ++c) {
    const float m0 = in[c], m1 = in[in_step + c], m2 = in[2 * in_step + c], m3 = in[3 * in_step + c],
                m4 = in[4 * in_step + c], m5 = in[5 * in_step + c];
    const float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
    out[c] = m0 + s12 + s34;
    out[out_step + c] = d12 + 2 * d34;
    out[2 * out_step + c] = s12 + 4 * s34;
    out[3 * out_step + c] = d12 + 8 * d34 + m5;
  }
}

// Tile t's transformed points for channels [c0, c0 + kLanes) into
// v[point][t][c] (row stride `cin`, point stride tiles * cin).
template <int M>
void transform_input_tile(const float* input, int h, int w, int cin, int t, int tiles_x, int c0,
                          std::size_t point_stride, float* v) {
  constexpr int A = M + 2, P = A * A;
  alignas(64) float d[P * kLanes], tmp[P * kLanes], out[P * kLanes];
  const int y0 = (t / tiles_x) * M - 1, x0 = (t % tiles_x) * M - 1;
  const int lanes = std::min(kLanes, cin - c0);
  for (int i = 0; i < A; ++i)
    for (int j = 0; j < A; ++j) {
      float* dst = d + (i * A + j) * kLanes;
      const int y = y0 + i, x = x0 + j;
      if (y < 0 || y >= h || x < 0 || x >= w) {
        std::fill(dst, dst + kLanes, 0.0f);
        continue;
      }
      const float* src = input + (std::size_t(y) * w + x) * cin + c0;
      std::copy(src, src + lanes, dst);
      std::fill(dst + lanes, dst + kLanes, 0.0f);
    }
  for (int j = 0; j < A; ++j) input_1d<M>(d + j * kLanes, A * kLanes, tmp + j * kLanes, A * kLanes);  // columns
  for (int i = 0; i < A; ++i) input_1d<M>(tmp + i * A * kLanes, kLanes, out + i * A * kLanes, kLanes);  // rows
  for (int p = 0; p < P; ++p)
    std::copy(out + p * kLanes, out + p * kLanes + lanes, v + p * point_stride + std::size_t(t) * cin + c0);
}

// Tile t's m x m outputs for channels [c0, c0 + kLanes) from m[point][t][c],
// plus bias and residual, then ReLU; outputs past the image edge are dropped.
template <int M>
void transform_output_tile(const float* m, std::size_t point_stride, int cout, int t, int tiles_x, int c0, int oh,
                           int ow, const float* bias, const float* residual, bool relu, float* output) {
  constexpr int A = M + 2, P = A * A;
  alignas(64) float in[P * kLanes], tmp[M * A * kLanes], out[M * M * kLanes];
  const int lanes = std::min(kLanes, cout - c0);
  for (int p = 0; p < P; ++p) {
    const float* src = m + p * point_stride + std::size_t(t) * cout + c0;
    std::copy(src, src + lanes, in + p * kLanes);
    std::fill(in + p * kLanes + lanes, in + (p + 1) * kLanes, 0.0f);
  }
  for (int j = 0; j < A; ++j) output_1d<M>(in + j * kLanes, A * kLanes, tmp + j * kLanes, A * kLanes);  // M x A
  for (int i = 0; i < M; ++i) output_1d<M>(tmp + i * A * kLanes, kLanes, out + i * M * kLanes, kLanes);  // M x M
  const int y0 = (t / tiles_x) * M, x0 = (t % tiles_x) * M;
  for (int i = 0; i < M && y0 + i < oh; ++i)
    for (int j = 0; j < M && x0 + j < ow; ++j) {
      const std::size_t at = (std::size_t(y0 + i) * ow + x0 + j) * cout + c0;
      const float* o = out + (i * M + j) * kLanes;
      for (int c = 0; c < lanes; ++c) {
        float v = o[c] + bias[c0 + c];
        if (residual) v += residual[at + c];
        output[at + c] = relu ? std::max(v, 0.0f) : v;
      }
    }
}

}  // namespace

WinogradWeights::WinogradWeights(int tile_out, int in, int out, std::span<const float> oihw, int nr_)
    : m(tile_out), in_channels(in), out_channels(out), nr(nr_), panels((out + nr_ - 1) / nr_) {
  require(m == 2 || m == 4, ErrorKind::kInvalidArgument, "winograd", "tile must be F(2,3) or F(4,3)");
  const int a = m + 2;
  const double* g_rows = m == 2 ? &kG2[0][0] : &kG4[0][0];
  auto G = [&](int i, int j) { return g_rows[i * 3 + j]; };
  const std::size_t per_point = std::size_t(panels) * in * nr;
  u = allocate_floats(per_point * points());
  std::fill(u.get(), u.get() + per_point * points(), 0.0f);
  for (int oc = 0; oc < out; ++oc)
    for (int ci = 0; ci < in; ++ci) {
      const float* g = oihw.data() + (std::size_t(oc) * in + ci) * 9;
      double gg[6][3];  // G * g
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < 3; ++j) gg[i][j] = G(i, 0) * g[j] + G(i, 1) * g[3 + j] + G(i, 2) * g[6 + j];
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < a; ++j) {
          const double v = gg[i][0] * G(j, 0) + gg[i][1] * G(j, 1) + gg[i][2] * G(j, 2);  // (G g) G^T
          const int point = i * a + j, p = oc / nr;
          u[point * per_point + (std::size_t(p) * in + ci) * nr + oc % nr] = float(v);
        }
    }
}

std::size_t winograd_shared_floats(int m, int in_channels, int out_channels, int h, int w) {
  const std::size_t tiles = std::size_t(winograd_tiles(h, m)) * winograd_tiles(w, m);
  return std::size_t(m + 2) * (m + 2) * tiles * (std::size_t(in_channels) + out_channels);
}

void winograd_forward(const WinogradWeights& wt, const MicroKernel& mk, const float* input, int h, int w,
                      float* output, const float* bias, const float* residual, bool relu, const Scratch& scratch) {
  const int cin = wt.in_channels, cout = wt.out_channels, nr = wt.nr, points = wt.points();
  const int tiles_x = winograd_tiles(w, wt.m), tiles = winograd_tiles(h, wt.m) * tiles_x;
  require(scratch.shared && scratch.shared_floats >= winograd_shared_floats(wt.m, cin, cout, h, w),
          ErrorKind::kInvalidArgument, "winograd", "shared scratch too small");
  float* v = scratch.shared;                          // [points][tiles][cin]
  float* m = v + std::size_t(points) * tiles * cin;  // [points][tiles][cout]
  const std::size_t v_point = std::size_t(tiles) * cin, m_point = std::size_t(tiles) * cout;
  const int in_groups = (cin + kLanes - 1) / kLanes, out_groups = (cout + kLanes - 1) / kLanes;

  tbb::parallel_for(0, tiles, [&](int t) {
    for (int g = 0; g < in_groups; ++g)
      (wt.m == 2 ? transform_input_tile<2> : transform_input_tile<4>)(input, h, w, cin, t, tiles_x, g * kLanes,
                                                                      v_point, v);
  });

  const GemmTiling tiling = plan_tiling(tiles, wt.panels, mk, tbb::this_task_arena::max_concurrency());
  const std::size_t u_point = std::size_t(wt.panels) * cin * nr;
  tbb::parallel_for(0, points * tiling.tiles(), [&](int job) {
    const int point = job / tiling.tiles(), tile = job % tiling.tiles();
    const int m0 = (tile / tiling.n_blocks) * tiling.mc, rows = std::min(tiling.mc, tiles - m0);
    const int p0 = (tile % tiling.n_blocks) * tiling.panels_per_block;
    const int p1 = std::min(wt.panels, p0 + tiling.panels_per_block);
    const int kc_max = balanced_depth_block(mk, cin);
    for (int k0 = 0; k0 < cin; k0 += kc_max) {
      const int kc = std::min(kc_max, cin - k0);
      for (int p = p0; p < p1; ++p)
        for (int i = 0; i < rows; i += mk.mr) {
          TileArgs t;
          t.kc = kc;
          t.a = v + point * v_point + std::size_t(m0 + i) * cin + k0;
          t.a_row_stride = cin;
          t.b = wt.u.get() + point * u_point + (std::size_t(p) * cin + k0) * nr;
          t.c = m + point * m_point + std::size_t(m0 + i) * cout + std::size_t(p) * nr;
          t.ldc = cout;
          t.rows = std::min(mk.mr, rows - i);
          t.cols = std::min(nr, cout - p * nr);
          t.accumulate = k0 > 0;
          mk.run(t);
        }
    }
  }, tbb::simple_partitioner());

  const int oh = h, ow = w;
  tbb::parallel_for(0, tiles, [&](int t) {
    for (int g = 0; g < out_groups; ++g)
      (wt.m == 2 ? transform_output_tile<2> : transform_output_tile<4>)(m, m_point, cout, t, tiles_x, g * kLanes, oh,
                                                                        ow, bias, residual, relu, output);
  });
}

}  // namespace aoi::kernels
