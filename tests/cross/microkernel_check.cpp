// The NEON micro-kernel against a double-precision product, built for aarch64
// with a cross compiler and run under qemu-user (scripts/check-neon.sh), so
// the ARM path is exercised on x86 machines. Self-contained: no gtest, no TBB.
// Exit status 0 when every tile matches.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/microkernel.hpp"
#include "support/tile_reference.hpp"

int main() {
  using namespace aoi::kernels;
  const MicroKernel mk = microkernel_neon();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1, 1);
  int failures = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int kc = std::uniform_int_distribution<int>(1, 300)(rng);
    const int rows = std::uniform_int_distribution<int>(1, mk.mr)(rng);
    const int cols = std::uniform_int_distribution<int>(1, mk.nr)(rng);
    const bool accumulate = trial % 3 == 0, with_epilogue = trial % 4 != 1, residual = trial % 5 < 3,
               relu = trial % 7 < 4;
    const int ldc = mk.nr + 3;
    const aoi::test::TileA a = aoi::test::random_tile_a(rows, kc, trial % 3 == 1, rng);
    std::vector<float> b(std::size_t(kc) * mk.nr), bias(mk.nr), res(std::size_t(mk.mr) * ldc),
        c(std::size_t(mk.mr) * ldc);
    for (auto* v : {&b, &bias, &res, &c})
      for (auto& x : *v) x = d(rng);
    for (int k = 0; k < kc; ++k)
      for (int j = cols; j < mk.nr; ++j) b[std::size_t(k) * mk.nr + j] = 0;
    const auto before = c;
    Epilogue ep{bias.data(), residual ? res.data() : nullptr, ldc, relu};
    TileArgs t;
    t.kc = kc, t.a = a.values.data(), t.a_row_stride = a.row_stride, t.b = b.data(), t.c = c.data(), t.ldc = ldc;
    t.a_segment_depth = a.segment_depth, t.a_segment_stride = a.segment_stride;
    t.rows = rows, t.cols = cols, t.accumulate = accumulate, t.epilogue = with_epilogue ? &ep : nullptr;
    mk.run(t);
    for (int r = 0; r < mk.mr; ++r)
      for (int j = 0; j < ldc; ++j) {
        const std::size_t at = std::size_t(r) * ldc + j;
        if (r >= rows || j >= cols) {
          if (c[at] != before[at]) ++failures;
          continue;
        }
        const auto [want, scale] = aoi::test::expected_tile_value(t, mk.nr, r, j, before[at]);
        if (std::abs(c[at] - want) > 2e-6 * scale) ++failures;
      }
  }
  std::printf("neon micro-kernel %dx%d: %d mismatches in 400 random tiles\n", mk.mr, mk.nr, failures);
  return failures == 0 ? 0 : 1;
}
