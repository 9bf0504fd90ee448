// The radix sort behind quantile binning, against std::sort; binned data in
// its two layouts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "gbdt/binning.hpp"

namespace aoi::test {
namespace {

// The representation, to tell -inf, denormals and the like apart exactly.
std::uint32_t bits(float v) {
  std::uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

TEST(SortFloats, MatchesStdSortOnEveryKindOfValue) {
  std::mt19937 rng(3);
  const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(), 1.0f, -1.0f};
  std::normal_distribution<float> normal(0, 100);
  for (std::size_t n : {0u, 1u, 2u, 255u, 256u, 257u, 1000u, 20000u}) {
    std::vector<float> values(n);
    for (auto& v : values) {
      const unsigned pick = rng() % 10;
      v = pick == 0 ? specials[rng() % 10] : pick < 4 ? float(int(rng() % 7) - 3) : normal(rng);
    }
    auto expected = values;
    std::sort(expected.begin(), expected.end());
    gbdt::detail::sort_floats(values);
    ASSERT_EQ(values.size(), expected.size());
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(values[i], expected[i]) << "n " << n << " at " << i;  // -0 and +0 compare equal
      if (values[i] != 0) {
        ASSERT_EQ(bits(values[i]), bits(expected[i])) << "n " << n << " at " << i;
      }
    }
  }
}

// The row blocks hold the same bins as the columns, for a column count that
// is not a multiple of the block width, every column is each value's bin, and
// rows_per_bin counts them.
TEST(BinFeatures, RowBlocksHoldTheColumnsBins) {
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0, 1);
  const std::size_t rows = 37, cols = 2 * gbdt::detail::BinnedData::kRowBlock + 5;
  std::vector<float> x(rows * cols);
  for (auto& v : x) v = rng() % 9 == 0 ? std::numeric_limits<float>::quiet_NaN() : normal(rng);
  const auto d = gbdt::detail::bin_features(x.data(), rows, cols, 16, int(rows));
  ASSERT_EQ(d.row_blocks.size(), 3 * rows * gbdt::detail::BinnedData::kRowBlock);
  for (std::size_t f = 0; f < cols; ++f)
    for (std::size_t r = 0; r < rows; ++r) {
      const float v = x[r * cols + f];
      const int expected = d.features[f].bin_of(v);  // NaN: the missing bin
      ASSERT_EQ(d.column(f)[r], expected) << "feature " << f << " row " << r;
      ASSERT_EQ(d.row_block_column(f)[r * gbdt::detail::BinnedData::kRowBlock], expected) << "feature " << f << " row " << r;
    }
  for (std::size_t f = 0; f < cols; ++f) {
    std::vector<double> counts(std::size_t(d.features[f].bins) + 1);
    for (std::size_t r = 0; r < rows; ++r) counts[d.column(f)[r]] += 1;
    EXPECT_EQ(d.features[f].rows_per_bin, counts) << "feature " << f;
  }
}

}  // namespace
}  // namespace aoi::test
