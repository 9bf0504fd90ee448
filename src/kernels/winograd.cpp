#include "kernels/winograd.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <utility>

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

// Tiles per block: a whole number of register tiles whose transformed input
// and GEMM results (points x tiles x (in + out) floats) fit in 640 KiB of L2,
// so a block goes transform -> GEMMs -> transform without leaving L2.
int max_block_tiles(int m, int in_channels, int out_channels, int tiles, int mr) {
  const std::size_t per_tile = std::size_t(m + 2) * (m + 2) * (in_channels + out_channels) * sizeof(float);
  const int fit = std::max(1, int(640 * 1024 / per_tile) / mr) * mr;
  return std::min(fit, (tiles + mr - 1) / mr * mr);
}

// [begin, end) of part `index` when `count` things are split into `parts`
// parts that differ by at most one.
std::pair<int, int> even_part(int count, int parts, int index) {
  return {int(1LL * count * index / parts), int(1LL * count * (index + 1) / parts)};
}

}  // namespace

WinogradSplit plan_winograd_split(int register_tiles, int panels, int threads, double input_transform) {
  WinogradSplit best;
  double best_load = -1;
  for (int groups = 1; groups <= std::max(1, std::min(panels, threads)); groups *= 2) {
    const int parts = std::min(register_tiles, (threads + groups - 1) / groups);
    const long long rounds = (1LL * parts * groups + threads - 1) / threads;
    const double load = double(rounds) * ((register_tiles + parts - 1) / parts) *
                        ((panels + groups - 1) / groups + input_transform);
    if (best_load < 0 || load < best_load) best_load = load, best = {parts, groups};  // ties: fewer groups
  }
  return best;
}

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
  // What splitting panels costs each extra group, per register tile, in
  // units of one 64-wide panel's point GEMMs: the input transform done again
  // (perf on res2 under F(4,3): 18 % of the time against 52 % for its one
  // panel) and the transformed input written and read again through L2. Taken
  // as one panel: in the trunk at 2 threads, res4 (14x14, four panels, F(2,3))
  // ran 6-10 % faster split by rows (4 + 3 register tiles) than by panels in
  // four of four alternated runs, and res3 (two panels) never measured faster
  // with its panels split (docs/measurements.md, fourth stop of 2026-11-23).
  const double input_transform = 64.0 / nr;
  const WinogradSplit split =
      plan_winograd_split(register_tiles, wt.panels, tbb::this_task_arena::max_concurrency(), input_transform);

  const WinogradTransforms& tf = winograd_transforms(mk.isa);
  const auto input_tile = wt.m == 2 ? tf.input2 : tf.input4;
  const auto output_tile = wt.m == 2 ? tf.output2 : tf.output4;
  const std::size_t u_point = std::size_t(wt.panels) * cin * nr;

  // One task per (part of the tiles, group of panels), in blocks as
  // winograd.hpp describes. Which task computes a value never changes how it
  // is summed.
  tbb::parallel_for(0, split.tasks(), [&](int task) {
    const auto [rt0, rt1] = even_part(register_tiles, split.row_parts, task % split.row_parts);
    const auto [p0, p1] = even_part(wt.panels, split.panel_groups, task / split.row_parts);
    if (rt0 == rt1 || p0 == p1) return;
    const int c_begin = p0 * nr, c_end = std::min(cout, p1 * nr);
    // Scratch layout per register tile of rows: [point][r tiles][channels].
    float* v = scratch.slot(tbb::this_task_arena::current_thread_index());
    float* m = v + std::size_t(points) * block_limit * r * cin;
    auto tile_at = [&](int i, int channels) { return (std::size_t(i / r) * points * r + i % r) * channels; };
    const int blocks = (rt1 - rt0 + block_limit - 1) / block_limit;
    for (int block = 0; block < blocks; ++block) {
      const auto [b0, b1] = even_part(rt1 - rt0, blocks, block);
      const int t0 = (rt0 + b0) * r, count = std::min((rt0 + b1) * r, tiles) - t0;
      for (int i = 0; i < count; ++i)
        input_tile(input, h, w, cin, t0 + i, tiles_x, std::size_t(r) * cin, v + tile_at(i, cin));
      BlockProduct op;
      op.rows = count, op.cols = cout;
      op.a_row_stride = cin, op.a_tile_stride = std::ptrdiff_t(points) * r * cin;
      op.ldc = cout, op.c_tile_stride = std::ptrdiff_t(points) * r * cout;
      for (int point = 0; point < points; ++point)
        for (int k0 = 0; k0 < cin; k0 += wt.kc_max) {
          op.kc = std::min(wt.kc_max, cin - k0);
          op.a = v + std::size_t(point) * r * cin + k0;
          op.b = wt.u.get() + point * u_point + packed_b_offset(k0, op.kc, 0, wt.panels, nr);
          op.c = m + std::size_t(point) * r * cout;
          op.accumulate = k0 > 0;
          multiply_block(mk, op, p0, p1);
        }
      for (int i = 0; i < count; ++i)
        output_tile(m + tile_at(i, cout), std::size_t(r) * cout, cout, c_begin, c_end, t0 + i, tiles_x, h, w, bias,
                    residual, relu, output);
    }
  }, tbb::simple_partitioner());
}

}  // namespace aoi::kernels
