// The vectorised split search, and the search from a leaf's rows, against a
// one-threshold-at-a-time reference,
// over random histograms: every bin count from 1 to 300 (the vector loop's
// partial last group, the prefix sum's four runs), empty bins (exact ties,
// which go to the lowest bin), missing values or none, and every rule.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "gbdt/split_search.hpp"

namespace aoi::test {
namespace {

using gbdt::detail::HistBin;
using gbdt::detail::LeafSums;
using gbdt::detail::Split;
using gbdt::detail::SplitRules;

struct Case {
  std::vector<HistBin> hist;  // bins value bins, then the missing bin
  LeafSums leaf;
};

Case random_case(std::mt19937& rng, int bins, bool with_missing, double empty_fraction) {
  std::normal_distribution<double> gradient(0.1, 1.0);
  std::uniform_real_distribution<double> unit(0, 1);
  Case c;
  c.hist.resize(bins + 1);
  for (int b = 0; b <= bins; ++b) {
    if (unit(rng) < empty_fraction || (b == bins && !with_missing)) continue;
    const int rows = 1 + int(rng() % 20);
    c.hist[b] = {gradient(rng) * rows, (0.05 + 0.2 * unit(rng)) * rows, double(rows)};
  }
  for (const auto& bin : c.hist) c.leaf.g += bin.g, c.leaf.h += bin.h, c.leaf.count += bin.count;
  return c;
}

// Same split, or (rarely) a different split of equal gain: two thresholds
// can cut a leaf into the same two sets (missing left at an empty first bin
// is missing right at the last), and rounding then decides between them.
// Returns whether the choice differed.
bool expect_same(const Split& fast, const Split& ref) {
  EXPECT_EQ(fast.valid(), ref.valid());
  if (!ref.valid() || !fast.valid()) return false;
  EXPECT_EQ(fast.feature, ref.feature);
  EXPECT_NEAR(fast.gain, ref.gain, 1e-9 * std::max(1.0, std::fabs(ref.gain)));
  if (fast.bin != ref.bin || fast.default_left != ref.default_left) return true;
  EXPECT_EQ(fast.left_count, ref.left_count);
  EXPECT_NEAR(fast.left_g, ref.left_g, 1e-9 * std::max(1.0, std::fabs(ref.left_g)));
  EXPECT_NEAR(fast.left_h, ref.left_h, 1e-9 * std::max(1.0, ref.left_h));
  return false;
}

TEST(SplitSearch, MatchesTheReferenceOnRandomHistograms) {
  std::mt19937 rng(11);
  const std::vector<SplitRules> rules{
      {0, 0, 0, 0, 0},     {0, 1, 1e-3, 1, 0}, {0.5, 1, 1e-3, 5, 0},
      {0, 1, 1, 20, 0.05}, {2, 0, 0, 1, 0},    {0, 10, 1e-3, 40, 0}};
  int valid = 0, cases = 0, equal_gain_choices = 0;
  for (int bins = 1; bins <= 300; ++bins)
    for (const auto& r : rules)
      for (bool missing : {false, true}) {
        const Case c = random_case(rng, bins, missing, bins % 3 == 0 ? 0.6 : 0.1);
        const Split fast = gbdt::detail::best_threshold(7, c.hist.data(), bins, c.leaf, r);
        const Split ref = gbdt::detail::best_threshold_reference(7, c.hist.data(), bins, c.leaf, r);
        SCOPED_TRACE(testing::Message() << "bins " << bins << " missing " << missing << " l1 " << r.lambda_l1
                                        << " l2 " << r.lambda_l2 << " min_data " << r.min_data);
        equal_gain_choices += expect_same(fast, ref);
        valid += ref.valid(), ++cases;
      }
  // The cases must exercise both outcomes, or the comparison proves little.
  EXPECT_GT(valid, cases / 2);
  EXPECT_LT(valid, cases);
  EXPECT_LT(equal_gain_choices, cases / 100);
}

// A leaf given as rows: the search from rows against the reference on the
// histogram of the same rows, over leaves of 1 to 600 rows, few or many bins
// in use (bin 0 used or not), missing values or none, one to kRowGroup features
// per pass, bins stored one per row or strided (as in the row blocks, with
// other bins in between). The scratch is reused across calls, so a call that
// left it dirty would show in the next.
TEST(SplitSearch, FromRowsMatchesTheReferenceOnTheLeafsHistogram) {
  std::mt19937 rng(5);
  std::normal_distribution<double> gradient(0.1, 1.0);
  std::uniform_real_distribution<double> unit(0, 1);
  gbdt::detail::SparseScratch scratch;
  const std::vector<SplitRules> rules{{0, 1, 1e-3, 1, 0}, {0.5, 1, 1e-3, 5, 0}, {0, 0, 0, 0, 0}, {0, 10, 1, 20, 0.05}};
  int valid = 0, cases = 0, equal_gain_choices = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + int(rng() % 600), feature_count = 1 + trial % gbdt::detail::kRowGroup;
    const std::size_t stride = 1 + trial % 3;
    std::vector<std::uint32_t> leaf_rows;  // every other row of the data
    std::vector<float> g, h;
    LeafSums leaf;
    for (int r = 0; r < rows; ++r) {
      leaf_rows.push_back(std::uint32_t(2 * r));
      g.push_back(float(gradient(rng))), h.push_back(float(0.05 + 0.2 * unit(rng)));
      leaf.g += g.back(), leaf.h += h.back(), leaf.count += 1;
    }
    std::vector<std::vector<std::uint8_t>> columns(feature_count);
    std::vector<gbdt::detail::RowFeature> features(feature_count);
    for (int k = 0; k < feature_count; ++k) {
      const int bins = 1 + int(rng() % 255), spread = 1 + int(rng() % bins);  // bins [shift, shift + spread) in use
      const int shift = int(rng() % (bins - spread + 1));
      const double missing = rng() % 3 == 0 ? 0.0 : 0.1;
      columns[k].resize(2 * rows * stride);  // the bytes between a feature's bins are another feature's
      for (auto& b : columns[k]) b = std::uint8_t(unit(rng) < missing ? bins : shift + int(rng() % spread));
      features[k] = {10 + k, columns[k].data(), bins};
    }
    const SplitRules& r = rules[trial % rules.size()];
    std::vector<Split> found(feature_count);
    gbdt::detail::best_thresholds_of_rows(features.data(), feature_count, stride, leaf_rows.data(), g.data(), h.data(),
                                          leaf_rows.size(), leaf, r, scratch, found.data());
    for (int k = 0; k < feature_count; ++k) {
      std::vector<HistBin> hist(features[k].bins + 1);
      for (std::size_t i = 0; i < leaf_rows.size(); ++i) {
        HistBin& b = hist[columns[k][leaf_rows[i] * stride]];
        b.g += g[i], b.h += h[i], b.count += 1;
      }
      const Split ref = gbdt::detail::best_threshold_reference(10 + k, hist.data(), features[k].bins, leaf, r);
      SCOPED_TRACE(testing::Message() << "trial " << trial << " feature " << k << " bins " << features[k].bins
                                      << " rows " << rows << " stride " << stride);
      equal_gain_choices += expect_same(found[k], ref);
      valid += ref.valid(), ++cases;
    }
  }
  EXPECT_GT(valid, cases / 2);
  EXPECT_LT(valid, cases);
  EXPECT_LT(equal_gain_choices, cases / 50);
}

TEST(SplitSearch, TiesGoToTheLowestBinThenToMissingRight) {
  // Two identical halves: thresholds 1 and 5 give the same gain; bins 2-4 are empty.
  std::vector<HistBin> hist(9);
  hist[0] = {-3, 1, 10}, hist[1] = {-3, 1, 10}, hist[5] = {3, 1, 10}, hist[6] = {3, 1, 10};
  LeafSums leaf;
  for (const auto& bin : hist) leaf.g += bin.g, leaf.h += bin.h, leaf.count += bin.count;
  const Split s = gbdt::detail::best_threshold(0, hist.data(), 8, leaf, {0, 1, 0, 1, 0});
  ASSERT_TRUE(s.valid());
  EXPECT_EQ(s.bin, 1);  // bins 1..4 all split the same rows; the lowest wins
  EXPECT_EQ(s.left_count, 20u);
  // Missing values like the right half: they gain most sent right, with it.
  hist[8] = {3, 1, 10};
  leaf.g += 3, leaf.h += 1, leaf.count += 10;
  const Split m = gbdt::detail::best_threshold(0, hist.data(), 8, leaf, {0, 1, 0, 1, 0});
  ASSERT_TRUE(m.valid());
  EXPECT_EQ(m.bin, 1);
  EXPECT_FALSE(m.default_left);
}

TEST(SplitSearch, NoSplitWhenRulesForbidEveryThreshold) {
  std::vector<HistBin> hist(5);
  hist[0] = {-1, 1, 3}, hist[3] = {1, 1, 3};
  const LeafSums leaf{0, 2, 6};
  EXPECT_TRUE(gbdt::detail::best_threshold(0, hist.data(), 4, leaf, {0, 0, 0, 1, 0}).valid());
  EXPECT_FALSE(gbdt::detail::best_threshold(0, hist.data(), 4, leaf, {0, 0, 0, 4, 0}).valid());   // min_data
  EXPECT_FALSE(gbdt::detail::best_threshold(0, hist.data(), 4, leaf, {0, 0, 1.5, 1, 0}).valid()); // min hessian
  EXPECT_FALSE(gbdt::detail::best_threshold(0, hist.data(), 4, leaf, {0, 0, 0, 1, 5}).valid());   // min gain
}

}  // namespace
}  // namespace aoi::test
