#include "kernels/winograd.hpp"

#include "core/parallel.hpp"

#include <algorithm>

#include "core/require.hpp"
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

WinogradWeights::WinogradWeights(int tile_out, int in, int out, int nr_, int kc_max_)
    : m(tile_out), in_channels(in), out_channels(out), nr(nr_), panels((out + nr_ - 1) / nr_), kc_max(kc_max_) {
  require(m == 2 || m == 4, ErrorKind::kInvalidArgument, "winograd", "tile must be F(2,3) or F(4,3)");
}

WinogradWeights::WinogradWeights(int tile_out, int in, int out, std::span<const float> oihw, int nr_, int kc_max_)
    : WinogradWeights(tile_out, in, out, nr_, kc_max_) {
  const int a = m + 2;
  const double* g_rows = m == 2 ? &kG2[0][0] : &kG4[0][0];
  auto G = [&](int i, int j) { return g_rows[i * 3 + j]; };
  const std::size_t per_point = std::size_t(panels) * in * nr;
  u = allocate_floats(per_point * points());
  std::fill(u.get(), u.get() + per_point * points(), 0.0f);  // the padding columns of the last panel
  for (int oc = 0; oc < out; ++oc)
    for (int ci = 0; ci < in; ++ci) {
      const float* g = oihw.data() + (std::size_t(oc) * in + ci) * 9;
      double gg[6][3];  // G * g
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < 3; ++j) gg[i][j] = G(i, 0) * g[j] + G(i, 1) * g[3 + j] + G(i, 2) * g[6 + j];
      for (int i = 0; i < a; ++i)
        for (int j = 0; j < a; ++j) {
          const double v = gg[i][0] * G(j, 0) + gg[i][1] * G(j, 1) + gg[i][2] * G(j, 2);  // (G g) G^T
          u[(i * a + j) * per_point + packed_b_at(ci, oc, in, kc_max, panels, nr)] = float(v);
        }
    }
}

namespace {

// Whether reading the layer's transformed weights is what costs: they are
// at least four times the whole map's transformed data (winograd.hpp,
// winograd_by_panels). res5 at 224x224 (16.8 MB against 1 MB) is; res4 (4.2
// against 1.6 MB) and res3 (2.4 against 1.8 MB) are not: there the weights
// cost little more than the data, one block of all tiles spills the data
// from L2, and at 2 threads a split by panels transforms every tile twice,
// so they keep L2-sized blocks (compared with bench/ab_builds.sh steps
// against a build with a lower threshold; docs/kernels.md).
bool weights_dominate(int in_channels, int out_channels, int tiles) {
  return 1LL * in_channels * out_channels >= 4LL * tiles * (in_channels + out_channels);
}

// Tiles per block: a whole number of register tiles whose transformed input
// and GEMM results (points x tiles x (in + out) floats) fit in 640 KiB of L2,
// so a block goes transform -> GEMMs -> transform without leaving L2; all of
// them where the weights dominate.
int max_block_tiles(int m, int in_channels, int out_channels, int tiles, int mr) {
  const int all = (tiles + mr - 1) / mr * mr;
  if (weights_dominate(in_channels, out_channels, tiles)) return all;
  const std::size_t per_tile = std::size_t(m + 2) * (m + 2) * (in_channels + out_channels) * sizeof(float);
  const int fit = std::max(1, int(640 * 1024 / per_tile) / mr) * mr;
  return std::min(fit, all);
}

}  // namespace

std::size_t winograd_scratch_floats(int m, int in_channels, int out_channels, int h, int w, int mr) {
  const int tiles = winograd_tiles(h, m) * winograd_tiles(w, m);
  return std::size_t(m + 2) * (m + 2) * max_block_tiles(m, in_channels, out_channels, tiles, mr) *
         (std::size_t(in_channels) + out_channels);
}

void winograd_forward(const WinogradWeights& wt, const MicroKernel& mk, const float* input, int h, int w,
                      float* output, const float* bias, const float* residual, bool relu, const Scratch& scratch) {
  const int cin = wt.in_channels, cout = wt.out_channels, nr = wt.nr, points = wt.points(), r = mk.mr;
  const int tiles_x = winograd_tiles(w, wt.m), tiles = winograd_tiles(h, wt.m) * tiles_x;
  require(scratch.floats_per_slot >= winograd_scratch_floats(wt.m, cin, cout, h, w, r), ErrorKind::kInvalidArgument,
          "winograd", "scratch too small");
  const int register_tiles = (tiles + r - 1) / r;
  const int block_limit = max_block_tiles(wt.m, cin, cout, tiles, r) / r;  // register tiles per block
  // One part per thread; a part of a map too small to give every thread a
  // unit is empty.
  const int parts = par::max_concurrency();
  const bool by_panels = weights_dominate(cin, cout, tiles) && winograd_by_panels(wt.panels, parts);

  const WinogradTransforms& tf = winograd_transforms(mk.isa);
  const auto input_tile = wt.m == 2 ? tf.input2 : tf.input4;
  const auto output_tile = wt.m == 2 ? tf.output2 : tf.output4;
  const std::size_t u_point = std::size_t(wt.panels) * cin * nr;

  // One task per part, in blocks as winograd.hpp describes. Which task
  // computes a value never changes how it is summed.
  par::for_each_index(0, parts, [&](int part) {
    // Scratch layout per register tile of rows: [point][r tiles][channels].
    float* v = scratch.slot(par::current_thread_index());
    float* m = v + std::size_t(points) * block_limit * r * cin;
    auto tile_at = [&](int i, int channels) { return (std::size_t(i / r) * points * r + i % r) * channels; };
    auto block = [&](const WinogradBlock& blk) {
      const int t0 = blk.rt0 * r, count = std::min(blk.rt1 * r, tiles) - t0;
      for (int i = 0; i < count; ++i)
        input_tile(input, h, w, cin, t0 + i, tiles_x, std::size_t(r) * cin, v + tile_at(i, cin));
      // The point GEMM of register tiles [j0, j1) of the block over panels
      // [p0, p1), for one point and one k block.
      auto multiply = [&](int j0, int j1, int p0, int p1, std::size_t point, std::size_t k0) {
        if (j0 >= j1 || p0 >= p1) return;
        BlockProduct op;
        op.rows = std::min(j1 * r, count) - j0 * r, op.cols = cout;
        op.kc = std::min(wt.kc_max, cin - int(k0));
        op.a_row_stride = cin, op.a_tile_stride = std::ptrdiff_t(points) * r * cin;
        op.ldc = cout, op.c_tile_stride = std::ptrdiff_t(points) * r * cout;
        op.a = v + j0 * op.a_tile_stride + point * r * cin + k0;
        op.b = wt.u.get() + point * u_point + packed_b_offset(int(k0), op.kc, 0, wt.panels, nr);
        op.c = m + j0 * op.c_tile_stride + point * r * cout;
        op.accumulate = k0 > 0;
        multiply_block(mk, op, p0, p1);
      };
      // Runs of the block's register tiles that take the same panels: at
      // most three (a part-panel first, the whole ones, a part-panel last).
      struct Run {
        int j0, j1, p0, p1;
      } runs[3];
      int run_count = 0;
      for (int j = 0; j < blk.rt1 - blk.rt0; ++j) {
        const int p0 = blk.panel_begin(blk.rt0 + j), p1 = blk.panel_end(blk.rt0 + j);
        Run& last = runs[run_count > 0 ? run_count - 1 : 0];
        if (run_count > 0 && last.p0 == p0 && last.p1 == p1) ++last.j1;
        else runs[run_count++] = {j, j + 1, p0, p1};
      }
      for (int point = 0; point < points; ++point)
        for (int k0 = 0; k0 < cin; k0 += wt.kc_max)
          for (int i = 0; i < run_count; ++i) multiply(runs[i].j0, runs[i].j1, runs[i].p0, runs[i].p1, point, k0);
      for (int i = 0; i < count; ++i) {
        const int rt = blk.rt0 + i / r;
        output_tile(m + tile_at(i, cout), std::size_t(r) * cout, cout, blk.panel_begin(rt) * nr,
                    std::min(cout, blk.panel_end(rt) * nr), t0 + i, tiles_x, h, w, bias, residual, relu, output);
      }
    };
    if (by_panels) for_each_winograd_panel_block(register_tiles, wt.panels, parts, part, block);
    else for_each_winograd_block(register_tiles, wt.panels, parts, part, block_limit, block);
  });
}

}  // namespace aoi::kernels
