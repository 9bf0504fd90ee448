// aoi's own kernels against naive references, XNNPACK style: every micro-kernel
// and every convolution algorithm, on every instruction set this CPU runs, over
// random shapes (odd sizes, strides, padding, partial register tiles, k blocks)
// and random data; and the same bits whatever the thread count.
#include <gtest/gtest.h>
#include "core/parallel.hpp"

#include <cmath>
#include <algorithm>
#include <cstring>

#include "core/require.hpp"
#include "kernels/packed_conv.hpp"
#include "kernels/gemm_blocking.hpp"
#include "kernels/microkernel.hpp"
#include "kernels/winograd.hpp"
#include "support/isas.hpp"
#include "support/naive.hpp"
#include "support/tile_reference.hpp"

namespace aoi::test {
namespace {

using kernels::ConvAlgorithm;
using kernels::ConvSpec;
using kernels::Isa;
using kernels::PackedConv;

class OnEachIsa : public ::testing::TestWithParam<Isa> {};

std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) { return kernels::isa_name(info.param); }

TEST_P(OnEachIsa, MicroKernelMatchesNaiveProductForEveryTileShapeAndEpilogue) {
  const auto& mk = kernels::micro_kernel(GetParam());
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int kc = std::uniform_int_distribution<int>(1, 300)(rng);
    const int rows = std::uniform_int_distribution<int>(1, mk.mr)(rng);
    const int cols = std::uniform_int_distribution<int>(1, mk.nr)(rng);
    const bool accumulate = trial % 3 == 0, with_epilogue = trial % 4 != 1;
    const bool with_residual = trial % 5 < 3, relu = trial % 7 < 4;
    const int ldc = mk.nr + 3;
    // A holds only the valid rows: the kernel must not read the others. Every
    // third tile reads its depth in segments from overlapping rows, as the
    // stem does from its input.
    const TileA a = random_tile_a(rows, kc, trial % 3 == 1, rng);
    AlignedFloats b = allocate_floats(std::size_t(kc) * mk.nr);
    const auto bv = random_floats(std::size_t(kc) * mk.nr, rng);
    std::copy(bv.begin(), bv.end(), b.get());
    for (int k = 0; k < kc; ++k)
      for (int j = cols; j < mk.nr; ++j) b[std::size_t(k) * mk.nr + j] = 0.0f;
    const auto bias = random_floats(mk.nr, rng), residual = random_floats(std::size_t(mk.mr) * ldc, rng);
    auto c = random_floats(std::size_t(mk.mr) * ldc, rng);
    const auto c_before = c;

    kernels::Epilogue ep{bias.data(), with_residual ? residual.data() : nullptr, ldc, relu};
    kernels::TileArgs t;
    t.kc = kc, t.a = a.values.data(), t.a_row_stride = a.row_stride, t.b = b.get(), t.c = c.data(), t.ldc = ldc;
    t.a_segment_depth = a.segment_depth, t.a_segment_stride = a.segment_stride;
    t.rows = rows, t.cols = cols, t.accumulate = accumulate, t.epilogue = with_epilogue ? &ep : nullptr;
    mk.run(t);

    for (int r = 0; r < mk.mr; ++r)
      for (int j = 0; j < ldc; ++j) {
        const std::size_t at = std::size_t(r) * ldc + j;
        if (r >= rows || j >= cols) {
          ASSERT_EQ(c[at], c_before[at]) << "wrote outside the tile at " << r << "," << j;
          continue;
        }
        const auto [want, scale] = expected_tile_value(t, mk.nr, r, j, c_before[at]);
        ASSERT_NEAR(c[at], want, 2e-6 * scale) << "trial " << trial << " r " << r << " j " << j;
      }
  }
}

struct ConvCase {
  int in, out, kernel, stride, pad, h, w;
};

// NHWC <-> NCHW for the naive reference.
std::vector<double> to_nchw(const std::vector<float>& x, int c, int h, int w) {
  std::vector<double> out(x.size());
  for (int y = 0; y < h; ++y)
    for (int i = 0; i < w; ++i)
      for (int ch = 0; ch < c; ++ch) out[(std::size_t(ch) * h + y) * w + i] = x[(std::size_t(y) * w + i) * c + ch];
  return out;
}

// Runs f(scratch) in an arena of `threads`, with scratch for conv on an
// h x w input in every thread slot.
template <class F>
void with_scratch(int threads, const PackedConv& conv, int h, int w, F&& f) {
  aoi::par::Arena arena(threads);
  arena.execute([&] {
    kernels::Scratch scratch;
    scratch.slots = aoi::par::max_concurrency();
    scratch.floats_per_slot = conv.scratch_floats(h, w);
    std::vector<float> memory(scratch.floats_per_slot * scratch.slots + 1);
    scratch.data = memory.data();
    f(scratch);
  });
}

struct ConvRun {
  std::vector<float> output;
  double rel_err;
  std::size_t nonzero_border = 0;  // values of an output border that are not 0
};

// How the residual reaches forward(): none, its own buffer, or the output
// buffer holding it (added in place, as the trunk runs its conv3 layers).
enum class Residual { kNone, kSeparate, kInPlace };

// border > 0: the output is written inside a zero border of that width
// (forward's output_border); output and rel_err then cover its interior.
ConvRun run_conv(const ConvCase& cc, Isa isa, ConvAlgorithm algo, Residual how, bool relu, int threads,
                 std::uint32_t seed, int border = 0) {
  const bool residual = how != Residual::kNone;
  std::mt19937 rng(seed);
  const ConvSpec spec{cc.in, cc.out, cc.kernel, cc.stride, cc.pad};
  const auto weight = random_floats(std::size_t(cc.out) * cc.in * cc.kernel * cc.kernel, rng);
  const auto bias = random_floats(cc.out, rng);
  const auto input = random_floats(std::size_t(cc.h) * cc.w * cc.in, rng);
  const int oh = spec.out_size(cc.h), ow = spec.out_size(cc.w);
  const auto res = random_floats(std::size_t(oh) * ow * cc.out, rng);

  const PackedConv conv(spec, weight, bias, isa, algo);
  const int bh = oh + 2 * border, bw = ow + 2 * border;
  std::vector<float> out(std::size_t(bh) * bw * cc.out, -7.0f);
  if (how == Residual::kInPlace) out = res;
  with_scratch(threads, conv, cc.h, cc.w, [&](const kernels::Scratch& scratch) {
    const float* residual_at = how == Residual::kSeparate ? res.data() : how == Residual::kInPlace ? out.data() : nullptr;
    conv.forward(input.data(), cc.h, cc.w, out.data(), residual_at, relu, scratch, border);
  });
  std::size_t nonzero_border = 0;
  if (border > 0) {  // keep the interior; count what the border holds
    std::vector<float> interior;
    for (int y = 0; y < bh; ++y)
      for (int x = 0; x < bw; ++x) {
        const float* px = out.data() + (std::size_t(y) * bw + x) * cc.out;
        if (y >= border && y < oh + border && x >= border && x < ow + border) interior.insert(interior.end(), px, px + cc.out);
        else nonzero_border += std::size_t(std::count_if(px, px + cc.out, [](float v) { return v != 0.0f; }));
      }
    out = std::move(interior);
  }

  const std::vector<double> wd(weight.begin(), weight.end()), bd(bias.begin(), bias.end());
  auto want = naive_conv(to_nchw(input, cc.in, cc.h, cc.w), cc.in, cc.h, cc.w, wd, bd, cc.out, cc.kernel, cc.stride,
                         cc.pad);
  std::vector<double> want_nhwc(want.size());
  for (int c = 0; c < cc.out; ++c)
    for (int p = 0; p < oh * ow; ++p) {
      double v = want[std::size_t(c) * oh * ow + p];
      if (residual) v += res[std::size_t(p) * cc.out + c];
      want_nhwc[std::size_t(p) * cc.out + c] = relu ? std::max(v, 0.0) : v;
    }
  return {out, relative_l2(out, want_nhwc), nonzero_border};
}

const ConvCase kGemmCases[] = {
    {3, 64, 7, 2, 3, 23, 19},   // the stem, small
    {17, 33, 1, 1, 0, 9, 11},   // 1x1 in place, odd channels
    {16, 40, 1, 2, 0, 13, 10},  // strided 1x1 (v1 downsample)
    {5, 7, 3, 1, 1, 6, 9},      // 3x3, fewer outputs than a register tile
    {20, 31, 3, 2, 1, 11, 8},   // strided 3x3 (v1.5)
    {300, 45, 1, 1, 0, 5, 7},   // two k blocks, in place
    {70, 50, 3, 1, 1, 9, 9},    // two k blocks through the packer
    {64, 96, 1, 1, 0, 15, 15},  // many row blocks
    {8, 16, 5, 1, 2, 7, 7},     // even padding on a 5x5
    // Strided 1x1 whose output rows (84 pixels) hold whole register tiles of
    // every ISA (7, 6, 4, 8 rows): read in place, row blocks starting mid-row.
    {20, 70, 1, 2, 0, 5, 168},
    {16, 24, 1, 3, 0, 4, 250},
    // Unpadded k x k read in place by register tiles, one segment per kernel
    // row: a stem on a padded input (168 output pixels a row), a 2x2 whose
    // k blocks hold whole segments (two blocks of 192 on AVX-512), and a 3x3
    // whose 4-pixel output rows are whole tiles for some ISAs only.
    {3, 64, 7, 2, 0, 9, 341},
    {96, 20, 2, 1, 0, 5, 169},
    {8, 16, 3, 2, 0, 9, 10},
    // An unpadded 3x3 whose kernel rows (1800 floats) are deeper than a k
    // block: blocks of 300 within one kernel row, read in place where the
    // 7-pixel output rows are whole tiles (segment_depth_block); with
    // 24-pixel rows, the same for the 4-, 6- and 8-row tiles.
    {600, 20, 3, 1, 0, 5, 9},
    {600, 20, 3, 1, 0, 3, 26},
    // 97-pixel output rows hold no whole number of register tiles, and a
    // short tile adds at most a sixteenth to a row of 7-, 6- and 4-row
    // tiles: each output row is its own run of tiles, read in place (the
    // 8-row tiles gather); a stem, a strided 1x1, a kernel row split over two
    // k blocks.
    {3, 64, 7, 2, 0, 9, 199},
    {16, 40, 1, 2, 0, 5, 193},
    {600, 20, 3, 1, 0, 3, 99},
};

TEST_P(OnEachIsa, GemmConvolutionMatchesNaiveOnAssortedShapes) {
  int i = 0;
  for (const auto& cc : kGemmCases) {
    for (int variant = 0; variant < 3; ++variant) {
      const auto r = run_conv(cc, GetParam(), ConvAlgorithm::kGemm, Residual(variant), variant != 0, 2, 100 + i++);
      EXPECT_LE(r.rel_err, 1e-6) << "in " << cc.in << " out " << cc.out << " k " << cc.kernel << " s " << cc.stride
                                 << " " << cc.h << "x" << cc.w << " variant " << variant;
    }
  }
}

TEST_P(OnEachIsa, OutputBorderIsZeroAndTheInteriorMatchesNaive) {
  // Output rows of 7 and 14 pixels (whole tiles for AVX-512, written in place
  // tile by tile), of 5 (no ISA's tiles: written plainly, then spread), and a
  // Winograd layer (always spread); borders of 1 and 2.
  // Rows of 97 pixels: a stem whose output rows are each their own run of
  // tiles for 7-, 6- and 4-row tiles, written inside the border in place; a
  // plain 1x1, written plainly and spread.
  const ConvCase cases[] = {{20, 70, 1, 1, 0, 7, 7}, {33, 130, 1, 2, 0, 9, 28}, {16, 24, 3, 1, 1, 6, 5},
                            {16, 24, 3, 1, 1, 8, 8},  {20, 70, 1, 1, 0, 3, 97}, {3, 64, 7, 2, 0, 9, 199}};
  int i = 0;
  for (const auto& cc : cases)
    for (int border : {1, 2})
      for (int threads : {1, 2}) {
        const auto algo = cc.kernel == 3 && cc.h == 8 ? ConvAlgorithm::kWinogradF2 : ConvAlgorithm::kGemm;
        const auto r = run_conv(cc, GetParam(), algo, Residual::kNone, true, threads, 300 + i++, border);
        EXPECT_LE(r.rel_err, 5e-6) << cc.h << "x" << cc.w << " border " << border << " threads " << threads;
        EXPECT_EQ(r.nonzero_border, 0u) << cc.h << "x" << cc.w << " border " << border << " threads " << threads;
      }
}

const ConvCase kWinogradCases[] = {
    {5, 7, 3, 1, 1, 6, 9},      // partial tiles both ways
    {16, 16, 3, 1, 1, 8, 8},    // exact tiles
    {33, 47, 3, 1, 1, 13, 11},  // odd channel counts: partial channel groups and panels
    {64, 64, 3, 1, 1, 14, 14},
    {300, 20, 3, 1, 1, 7, 7},   // two k blocks in the point GEMMs
    {3, 5, 3, 1, 1, 3, 4},      // smaller than one tile
    {40, 200, 3, 1, 1, 8, 8},   // panels split between the two threads
    {16, 24, 3, 1, 1, 60, 60},  // light weights, many tiles: several L2-sized blocks per thread
    {160, 200, 3, 1, 1, 5, 7},  // weights far outweigh the map: one block, threads split the panels
    {300, 150, 3, 1, 1, 7, 7},  // the same with two k blocks (res5's shape, scaled down)
};

TEST_P(OnEachIsa, WinogradMatchesNaiveWithinFloatRounding) {
  int i = 0;
  for (auto algo : {ConvAlgorithm::kWinogradF2, ConvAlgorithm::kWinogradF4})
  for (const auto& cc : kWinogradCases)
    for (int variant = 0; variant < 3; ++variant) {
      const auto r = run_conv(cc, GetParam(), algo, Residual(variant), variant != 1, 2, 200 + i++);
      // F(4,3) adds rounding in its transforms; still far below the trunk's
      // golden tolerance (1e-5 relative on the features).
      EXPECT_LE(r.rel_err, 5e-6) << "in " << cc.in << " out " << cc.out << " " << cc.h << "x" << cc.w << " F("
                                 << (algo == ConvAlgorithm::kWinogradF2 ? 2 : 4) << ",3)";
    }
}

TEST_P(OnEachIsa, ResultsAreBitIdenticalForEveryThreadCount) {
  // {40, 200, 3, 1, 1, 8, 8}: few tiles and several panels, so Winograd
  // parts share register tiles, each taking some of their panels.
  const ConvCase cases[] = {{64, 96, 1, 1, 0, 15, 15},
                            {40, 72, 3, 1, 1, 17, 13},
                            {16, 40, 1, 2, 0, 13, 10},
                            {20, 70, 1, 2, 0, 5, 168},
                            {3, 64, 7, 2, 0, 9, 341},
                            {3, 64, 7, 2, 0, 9, 199},
                            {40, 200, 3, 1, 1, 8, 8},
                            {16, 24, 3, 1, 1, 60, 60},
                            // several panels and blocks: at 3 and 8 threads
                            // parts begin and end inside register tiles
                            {20, 200, 3, 1, 1, 30, 26},
                            // weights far outweigh the map: split by panels
                            // (unevenly at 3 threads), by tiles at 8
                            {160, 200, 3, 1, 1, 5, 7}};
  for (const auto& cc : cases)
    for (auto algo : {ConvAlgorithm::kGemm, ConvAlgorithm::kWinogradF2, ConvAlgorithm::kWinogradF4}) {
      if (algo != ConvAlgorithm::kGemm && cc.kernel != 3) continue;
      for (auto how : {Residual::kSeparate, Residual::kInPlace}) {
        const auto one = run_conv(cc, GetParam(), algo, how, true, 1, 5);
        const auto two = run_conv(cc, GetParam(), algo, how, true, 2, 5);
        const auto three = run_conv(cc, GetParam(), algo, how, true, 3, 5);
        const auto eight = run_conv(cc, GetParam(), algo, how, true, 8, 5);
        ASSERT_EQ(one.output.size(), two.output.size());
        EXPECT_LE(one.rel_err, 5e-6);
        EXPECT_EQ(0, std::memcmp(one.output.data(), two.output.data(), one.output.size() * sizeof(float)));
        EXPECT_EQ(0, std::memcmp(one.output.data(), three.output.data(), one.output.size() * sizeof(float)));
        EXPECT_EQ(0, std::memcmp(one.output.data(), eight.output.data(), one.output.size() * sizeof(float)));
      }
    }
}

TEST_P(OnEachIsa, PackedBuffersRunBitIdenticallyFromAnotherPlace) {
  // A layer rebuilt over a copy of another's packed buffers (as from a pack
  // file) computes the very same bits, for each layout: GEMM panels (1x1,
  // strided, padded 3x3) and Winograd points (F(2,3), F(4,3)).
  struct Case {
    ConvSpec spec;
    ConvAlgorithm algo;
    int size;
  };
  const Case cases[] = {{{24, 40, 1, 1, 0}, ConvAlgorithm::kGemm, 9},
                        {{16, 33, 1, 2, 0}, ConvAlgorithm::kGemm, 11},
                        {{5, 19, 3, 1, 1}, ConvAlgorithm::kGemm, 7},
                        {{12, 20, 3, 1, 1}, ConvAlgorithm::kWinogradF2, 10},
                        {{8, 17, 3, 1, 1}, ConvAlgorithm::kWinogradF4, 13}};
  std::uint32_t seed = 900;
  for (const auto& c : cases) {
    std::mt19937 rng(seed++);
    const auto& s = c.spec;
    const auto weight = random_floats(std::size_t(s.out_channels) * s.in_channels * s.kernel * s.kernel, rng);
    const auto bias = random_floats(s.out_channels, rng);
    const auto input = random_floats(std::size_t(c.size) * c.size * s.in_channels, rng);
    const PackedConv made(s, weight, bias, GetParam(), c.algo);
    std::vector<AlignedFloats> copies;
    std::vector<std::span<const float>> views;
    for (const auto& b : made.packed_buffers()) {
      copies.push_back(allocate_floats(b.size()));
      std::copy(b.begin(), b.end(), copies.back().get());
      views.emplace_back(copies.back().get(), b.size());
    }
    const PackedConv borrowed = PackedConv::from_packed(s, GetParam(), c.algo, views);
    EXPECT_EQ(borrowed.algorithm(), made.algorithm());
    const int o = s.out_size(c.size);
    std::vector<float> a(std::size_t(o) * o * s.out_channels), b(a.size());
    with_scratch(2, made, c.size, c.size, [&](const kernels::Scratch& scratch) {
      made.forward(input.data(), c.size, c.size, a.data(), nullptr, true, scratch);
      borrowed.forward(input.data(), c.size, c.size, b.data(), nullptr, true, scratch);
    });
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float))) << "case " << seed;
    // Buffers of another size are refused, not read past.
    views[1] = views[1].first(views[1].size() - 1);
    try {
      (void)PackedConv::from_packed(s, GetParam(), c.algo, views);
      ADD_FAILURE() << "a short buffer was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadWeights);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, OnEachIsa, ::testing::ValuesIn(runnable_isas()), isa_param_name);

TEST(PackedConv, RejectsBadShapesAndWeights) {
  const std::vector<float> w(16 * 8 * 9), b(16);
  EXPECT_THROW((void)PackedConv(ConvSpec{8, 16, 3, 1, 1}, std::span<const float>(w).first(10), b, Isa::kScalar), Error);
  EXPECT_THROW((void)PackedConv(ConvSpec{8, 16, 3, 2, 1}, w, b, Isa::kScalar, ConvAlgorithm::kWinogradF4), Error);
  EXPECT_THROW((void)PackedConv(ConvSpec{8, 16, 1, 1, 0}, std::span<const float>(w).first(128), b, Isa::kScalar,
                                ConvAlgorithm::kWinogradF2),
               Error);
  EXPECT_THROW((void)PackedConv(ConvSpec{0, 16, 3, 1, 1}, w, b, Isa::kScalar), Error);
  const PackedConv ok(ConvSpec{8, 16, 3, 1, 1}, w, b, Isa::kScalar, ConvAlgorithm::kGemm);
  EXPECT_EQ(ok.algorithm(), ConvAlgorithm::kGemm);
  EXPECT_EQ(PackedConv(ConvSpec{8, 16, 3, 1, 1}, w, b, Isa::kScalar).algorithm(), ConvAlgorithm::kWinogradF4);
  // An output border with a residual, or a negative one, is refused before
  // anything is read or written.
  std::vector<float> in(5 * 5 * 8), out(7 * 7 * 16), res(5 * 5 * 16);
  const kernels::Scratch none;
  EXPECT_THROW(ok.forward(in.data(), 5, 5, out.data(), res.data(), true, none, 1), Error);
  EXPECT_THROW(ok.forward(in.data(), 5, 5, out.data(), nullptr, true, none, -1), Error);
}

TEST(PackedConv, ChoosesWinogradOnlyForThreeByThreeStrideOneWithEnoughTiles) {
  EXPECT_EQ(kernels::choose_algorithm({64, 64, 3, 1, 1}, 56, 56), ConvAlgorithm::kWinogradF4);
  EXPECT_EQ(kernels::choose_algorithm({256, 256, 3, 1, 1}, 14, 14), ConvAlgorithm::kWinogradF2);
  EXPECT_EQ(kernels::choose_algorithm({512, 512, 3, 1, 1}, 7, 7), ConvAlgorithm::kWinogradF2);
  EXPECT_EQ(kernels::choose_algorithm({512, 512, 3, 1, 1}, 6, 6), ConvAlgorithm::kGemm);  // 9 tiles
  EXPECT_EQ(kernels::choose_algorithm({64, 64, 3, 2, 1}, 56, 56), ConvAlgorithm::kGemm);
  EXPECT_EQ(kernels::choose_algorithm({64, 64, 1, 1, 0}, 56, 56), ConvAlgorithm::kGemm);
}

// Compact weights: the GEMM only where the transformed weights pass the
// limit (ResNet-50's res5 3x3, 16.8 MB as F(2,3)); res2 to res4 keep theirs.
TEST(PackedConv, CompactChoiceDropsWinogradOnlyWhereItsWeightsAreLarge) {
  EXPECT_EQ(kernels::choose_algorithm({64, 64, 3, 1, 1}, 56, 56, true), ConvAlgorithm::kWinogradF4);
  EXPECT_EQ(kernels::choose_algorithm({128, 128, 3, 1, 1}, 28, 28, true), ConvAlgorithm::kWinogradF4);
  EXPECT_EQ(kernels::choose_algorithm({256, 256, 3, 1, 1}, 14, 14, true), ConvAlgorithm::kWinogradF2);
  EXPECT_EQ(kernels::choose_algorithm({512, 512, 3, 1, 1}, 7, 7, true), ConvAlgorithm::kGemm);
  EXPECT_EQ(kernels::choose_algorithm({512, 512, 3, 1, 1}, 7, 7, false), ConvAlgorithm::kWinogradF2);
  // F(4,3) is judged by its own, larger, points: 36 x 384 x 384 floats.
  EXPECT_EQ(kernels::choose_algorithm({384, 384, 3, 1, 1}, 28, 28, true), ConvAlgorithm::kGemm);
  EXPECT_EQ(kernels::choose_algorithm({64, 64, 1, 1, 0}, 56, 56, true), ConvAlgorithm::kGemm);
}

TEST(GemmTiling, RowBlocksAreEvenWholeTilesWithinTheLimitAndCoverEveryRow) {
  for (Isa isa : runnable_isas()) {
    const auto& mk = kernels::micro_kernel(isa);
    const int most = kernels::max_block_rows(mk);
    ASSERT_EQ(most % mk.mr, 0);
    ASSERT_GE(most, kernels::block_rows(mk));
    for (int m = 1; m <= 5000; m += 37)
      for (int threads : {1, 2, 3, 8}) {
        const auto t = kernels::plan_tiling(m, 5, mk, threads);
        EXPECT_EQ(t.mc % mk.mr, 0) << m;
        EXPECT_LE(t.mc, most) << m;
        EXPECT_GE(t.mc * t.m_blocks, m) << m;
        EXPECT_LT(t.mc * (t.m_blocks - 1), m) << m << ": an empty row block";
        // No sliver: the last block holds all but at most one register
        // tile per block of what the others hold.
        EXPECT_GE(m - t.mc * (t.m_blocks - 1), t.mc - mk.mr * t.m_blocks) << m;
        EXPECT_LE(t.panels_per_block * (t.n_blocks - 1), 5 - 1) << m;
      }
  }
  // Blocks of whole output rows (a row padded to whole tiles is the unit).
  for (Isa isa : runnable_isas()) {
    const auto& mk = kernels::micro_kernel(isa);
    for (int width : {1, 5, 97, 112, 300})
      for (int rows = 1; rows <= 120; rows += 7) {
        const int unit = (width + mk.mr - 1) / mk.mr * mk.mr;
        const auto t = kernels::plan_tiling(rows * unit, 5, mk, 2, unit);
        EXPECT_EQ(t.mc % unit, 0) << width << " " << rows;
        EXPECT_LE(t.mc, std::max(unit, kernels::max_block_rows(mk))) << width << " " << rows;
        EXPECT_GE(t.mc * t.m_blocks, rows * unit) << width << " " << rows;
        EXPECT_LT(t.mc * (t.m_blocks - 1), rows * unit) << width << " " << rows << ": an empty row block";
      }
  }
  // On AVX-512 every map of ResNet-50 at 224x224 splits into blocks of 196
  // rows (49 rows: one block), which two threads share evenly.
  if (kernels::isa_supported(Isa::kAvx512)) {
    const auto& mk = kernels::micro_kernel(Isa::kAvx512);
    for (int m : {12544, 3136, 784, 196}) EXPECT_EQ(kernels::plan_tiling(m, 4, mk, 2).mc, 196) << m;
    EXPECT_EQ(kernels::plan_tiling(49, 4, mk, 2).m_blocks, 1);
  }
}

TEST(WinogradParts, CoverEveryUnitOnceInEvenPartsAndBlocksThatFit) {
  for (int register_tiles = 1; register_tiles <= 30; register_tiles += 1)
    for (int panels = 1; panels <= 9; panels += 2)
      for (int parts = 1; parts <= 17; parts += 2)
        for (int block_limit = 1; block_limit <= 4; ++block_limit) {
          std::vector<int> seen(std::size_t(register_tiles) * panels, 0);
          std::vector<int> parts_of_tile(register_tiles, 0);
          int fewest = INT32_MAX, most = 0;
          for (int part = 0; part < parts; ++part) {
            int units = 0;
            std::vector<char> here(register_tiles, 0);
            kernels::for_each_winograd_block(register_tiles, panels, parts, part, block_limit,
                                             [&](const kernels::WinogradBlock& b) {
              ASSERT_LT(b.rt0, b.rt1);
              ASSERT_LE(b.rt1, register_tiles);
              EXPECT_LE(b.rt1 - b.rt0, block_limit);
              for (int rt = b.rt0; rt < b.rt1; ++rt) {
                ASSERT_LT(b.panel_begin(rt), b.panel_end(rt));
                ASSERT_LE(b.panel_end(rt), panels);
                here[rt] = 1;
                for (int p = b.panel_begin(rt); p < b.panel_end(rt); ++p)
                  ++seen[std::size_t(rt) * panels + p], ++units;
              }
            });
            for (int rt = 0; rt < register_tiles; ++rt) parts_of_tile[rt] += here[rt];
            fewest = std::min(fewest, units), most = std::max(most, units);
          }
          const std::string where = std::to_string(register_tiles) + " register tiles, " + std::to_string(panels) +
                                    " panels, " + std::to_string(parts) + " parts, blocks of " +
                                    std::to_string(block_limit);
          EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; })) << where;
          EXPECT_LE(most - fewest, 1) << where;
          // Only a register tile that a part boundary cuts is transformed twice.
          int repeats = 0;
          for (int n : parts_of_tile) repeats += n - 1;
          EXPECT_LE(repeats, parts - 1) << where;
        }
}

TEST(WinogradParts, PanelPartsTakeEveryTileOfPanelsThatCoverEachOnceAndEvenly) {
  for (int register_tiles = 1; register_tiles <= 5; ++register_tiles)
    for (int panels = 1; panels <= 12; ++panels)
      for (int parts = 1; parts <= panels; ++parts) {
        ASSERT_TRUE(kernels::winograd_by_panels(panels, parts));
        std::vector<int> seen(std::size_t(register_tiles) * panels, 0);
        int fewest = INT32_MAX, most = 0;
        for (int part = 0; part < parts; ++part) {
          int blocks = 0, taken = 0;
          kernels::for_each_winograd_panel_block(register_tiles, panels, parts, part,
                                                 [&](const kernels::WinogradBlock& b) {
            ++blocks;
            ASSERT_EQ(b.rt0, 0);
            ASSERT_EQ(b.rt1, register_tiles);
            for (int rt = b.rt0; rt < b.rt1; ++rt) {
              ASSERT_EQ(b.panel_begin(rt), b.p0);
              ASSERT_EQ(b.panel_end(rt), b.p1);
              for (int p = b.p0; p < b.p1; ++p) ++seen[std::size_t(rt) * panels + p];
            }
            taken = b.p1 - b.p0;
          });
          EXPECT_EQ(blocks, 1);
          fewest = std::min(fewest, taken), most = std::max(most, taken);
        }
        const std::string where = std::to_string(register_tiles) + " register tiles, " + std::to_string(panels) +
                                  " panels, " + std::to_string(parts) + " parts";
        EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; })) << where;
        EXPECT_LE(most - fewest, 1) << where;
      }
  EXPECT_FALSE(kernels::winograd_by_panels(4, 5));
}

}  // namespace
}  // namespace aoi::test
