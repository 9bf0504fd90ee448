#include "kernels/winograd.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>

#include "aoi/core/error.hpp"
#include "kernels/gemm_blocking.hpp"
#include "kernels/winograd_transforms.hpp"

namespace aoi::kernels {
namespace {

// G of F(2, 3) (points 0, +-1, infinity) and of F(4, 3) (0, +-1, +-2, infinity).
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kG4[6][3] = {{1.0 / 4, 0, 0},
                             {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                             {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                             {1.0 / 24, 1.0 / 12, 1.0 / 6},
                             {1.0 / 24, -1.0 / 12, 1.0 / 6},
                             {0, 0, 1}};

}  // namespace

WinogradWeights::WinogradWeights(int tile_out, int in, int out, std::span<const float> oihw, int nr_, int kc_max_)
    : m(tile_out), in_channels(in), out_channels(out), nr(nr_), panels((out + nr_ - 1) / nr_), kc_max(kc_max_) {
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
          const int k0 = ci / kc_max * kc_max, kc = std::min(kc_max, in - k0);
          u[point * per_point + packed_b_offset(k0, kc, p, panels, nr) + std::size_t(ci - k0) * nr + oc % nr] =
              float(v);
        }
    }
}

std::size_t winograd_shared_floats(int m, int in_channels, int out_channels, int h, int w, int mr) {
  const std::size_t tiles = (std::size_t(winograd_tiles(h, m)) * winograd_tiles(w, m) + mr - 1) / mr * mr;
  return std::size_t(m + 2) * (m + 2) * tiles * (std::size_t(in_channels) + out_channels);
}

void winograd_forward(const WinogradWeights& wt, const MicroKernel& mk, const float* input, int h, int w,
                      float* output, const float* bias, const float* residual, bool relu, const Scratch& scratch) {
  const int cin = wt.in_channels, cout = wt.out_channels, nr = wt.nr, points = wt.points();
  const int tiles_x = winograd_tiles(w, wt.m), tiles = winograd_tiles(h, wt.m) * tiles_x;
  require(scratch.shared && scratch.shared_floats >= winograd_shared_floats(wt.m, cin, cout, h, w, mk.mr),
          ErrorKind::kInvalidArgument, "winograd", "shared scratch too small");
  const int r = mk.mr, blocks = (tiles + r - 1) / r;
  float* v = scratch.shared;                                    // [blocks][points][r][cin]
  float* m = v + std::size_t(blocks) * points * r * cin;  // [blocks][points][r][cout]
  // Where tile t's point 0 lives, in floats from the start, per channel count.
  auto tile_at = [&](int t, int channels) { return (std::size_t(t / r) * points * r + t % r) * channels; };
  auto block_at = [&](int row, int point, int channels) {  // row: a multiple of r
    return (std::size_t(row / r) * points + point) * r * channels;
  };
  const std::size_t v_point = std::size_t(r) * cin, m_point = std::size_t(r) * cout;
  const WinogradTransforms& tf = winograd_transforms(mk.isa);
  const auto input_tile = wt.m == 2 ? tf.input2 : tf.input4;
  const auto output_tile = wt.m == 2 ? tf.output2 : tf.output4;

  tbb::parallel_for(0, tiles, [&](int t) {
    input_tile(input, h, w, cin, t, tiles_x, v_point, v + tile_at(t, cin));
  });

  const GemmTiling tiling = plan_tiling(tiles, wt.panels, mk, tbb::this_task_arena::max_concurrency());
  const std::size_t u_point = std::size_t(wt.panels) * cin * nr;
  tbb::parallel_for(0, points * tiling.tiles(), [&](int job) {
    const int point = job / tiling.tiles(), tile = job % tiling.tiles();
    const int m0 = (tile / tiling.n_blocks) * tiling.mc, rows = std::min(tiling.mc, tiles - m0);
    const int p0 = (tile % tiling.n_blocks) * tiling.panels_per_block;
    const int p1 = std::min(wt.panels, p0 + tiling.panels_per_block);
    for (int k0 = 0; k0 < cin; k0 += wt.kc_max) {
      const int kc = std::min(wt.kc_max, cin - k0);
      for (int p = p0; p < p1; ++p)
        for (int i = 0; i < rows; i += mk.mr) {
          TileArgs t;
          t.kc = kc;
          t.a = v + block_at(m0 + i, point, cin) + k0;
          t.a_row_stride = cin;
          t.b = wt.u.get() + point * u_point + packed_b_offset(k0, kc, p, wt.panels, nr);
          t.c = m + block_at(m0 + i, point, cout) + std::size_t(p) * nr;
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
    output_tile(m + tile_at(t, cout), m_point, cout, t, tiles_x, oh, ow, bias, residual, relu, output);
  });
}

}  // namespace aoi::kernels
