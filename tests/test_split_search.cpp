// The vectorised split search, and the search from a leaf's rows, against a
// one-threshold-at-a-time reference,
// over random histograms: every bin count from 1 to 300 (the vector loop's
// partial last group, the prefix sum's four runs), empty bins (exact ties,
// which go to the lowest bin), missing values or none, and every rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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

// A randomized comparison's counts: its cases must give both outcomes (a
// split and none), or it proves little, and rounding may pick another split
// of equal gain in at most one case in `rare`.
struct Tally {
  int valid = 0, cases = 0, equal_gain_choices = 0;
  void add(const Split& fast, const Split& ref) {
    equal_gain_choices += expect_same(fast, ref);
    valid += ref.valid(), ++cases;
  }
  void check(int rare) const {
    EXPECT_GT(valid, cases / 2);
    EXPECT_LT(valid, cases);
    EXPECT_LT(equal_gain_choices, cases / rare);
  }
};

TEST(SplitSearch, MatchesTheReferenceOnRandomHistograms) {
  std::mt19937 rng(11);
  const std::vector<SplitRules> rules{
      {0, 0, 0, 0, 0},     {0, 1, 1e-3, 1, 0}, {0.5, 1, 1e-3, 5, 0},
      {0, 1, 1, 20, 0.05}, {2, 0, 0, 1, 0},    {0, 10, 1e-3, 40, 0}};
  Tally tally;
  for (int bins = 1; bins <= 300; ++bins)
    for (const auto& r : rules)
      for (bool missing : {false, true}) {
        const Case c = random_case(rng, bins, missing, bins % 3 == 0 ? 0.6 : 0.1);
        const Split fast = gbdt::detail::best_threshold(7, c.hist.data(), bins, c.leaf, r);
        const Split ref = gbdt::detail::best_threshold_reference(7, c.hist.data(), bins, c.leaf, r);
        SCOPED_TRACE(testing::Message() << "bins " << bins << " missing " << missing << " l1 " << r.lambda_l1
                                        << " l2 " << r.lambda_l2 << " min_data " << r.min_data);
        tally.add(fast, ref);
      }
  tally.check(100);
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
  Tally tally;
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
      tally.add(found[k], ref);
    }
  }
  tally.check(50);
}

// Quantized sums (quantized_gradients.hpp): the integer searches must pick
// what the double search picks on the same sums scaled, on histograms and
// from rows, and give the left side's packed sum exactly.
namespace packed = gbdt::detail::packed;
using gbdt::detail::GradientScale;

HistBin unpacked(std::int64_t v, GradientScale s) {
  return {double(packed::gradient(v)) * s.g, double(packed::hessian(v)) * s.h, double(packed::count(v))};
}

std::int64_t random_packed_row(std::mt19937& rng, int levels) {
  const int half = levels / 2;
  return packed::pack(int(rng() % (2 * half + 1)) - half, int(rng() % (levels + 1)));
}

void expect_left_sums_match(const Split& s, GradientScale scale) {
  if (!s.valid()) return;
  const HistBin left = unpacked(s.left_q, scale);
  EXPECT_EQ(double(s.left_count), left.count);
  EXPECT_NEAR(s.left_g, left.g, 1e-9 * std::max(1.0, std::fabs(left.g)));
  EXPECT_NEAR(s.left_h, left.h, 1e-9 * std::max(1.0, left.h));
}

TEST(SplitSearch, PackedSumsPickWhatTheExactSearchPicksOnTheSameSums) {
  std::mt19937 rng(23);
  // No rule set without both l2 and min_sum_hessian: there a side whose
  // hessian is exactly 0 in integers is a rounding residue in doubles, and
  // its gain g^2 / 1e-17 wins the double search.
  const std::vector<SplitRules> rules{{0, 1, 1e-3, 1, 0}, {0.5, 1, 1e-3, 5, 0}, {0, 0, 1e-3, 0, 0}, {0, 10, 1, 20, 0.05}};
  Tally tally;
  for (int bins = 1; bins <= 300; ++bins)
    for (bool missing : {false, true}) {
      const int levels = 2 << (bins % 6);
      const GradientScale scale{0.37 / (levels / 2), 0.21 / levels};
      std::vector<std::int64_t> hist(bins + 1, 0);
      for (int b = 0; b <= bins; ++b) {
        if ((b == bins && !missing) || rng() % 4 == 0) continue;
        for (int r = 1 + int(rng() % 20); r > 0; --r) hist[b] += random_packed_row(rng, levels);
      }
      std::int64_t leaf_q = 0;
      std::vector<HistBin> exact(bins + 1);
      for (int b = 0; b <= bins; ++b) leaf_q += hist[b], exact[b] = unpacked(hist[b], scale);
      const HistBin total = unpacked(leaf_q, scale);
      const SplitRules& r = rules[bins % rules.size()];
      const Split fast = gbdt::detail::best_threshold_packed(3, hist.data(), bins, leaf_q, scale, r);
      const Split ref = gbdt::detail::best_threshold(3, exact.data(), bins, {total.g, total.h, total.count}, r);
      SCOPED_TRACE(testing::Message() << "bins " << bins << " missing " << missing << " levels " << levels);
      tally.add(fast, ref);
      expect_left_sums_match(fast, scale);
    }
  tally.check(20);
}

TEST(SplitSearch, PackedSearchFromRowsMatchesThePackedHistogramSearch) {
  std::mt19937 rng(31);
  gbdt::detail::PackedScratch scratch;  // reused: a dirty scratch would show in the next call
  const std::vector<SplitRules> rules{{0, 1, 1e-3, 1, 0}, {0, 0, 0, 0, 0}, {0, 10, 1, 20, 0.05}};
  Tally tally;
  for (int trial = 0; trial < 200; ++trial) {
    const int rows = 1 + int(rng() % 600), feature_count = 1 + trial % gbdt::detail::kRowGroup, levels = 4 << (trial % 5);
    const std::size_t stride = 1 + trial % 3;
    const GradientScale scale{1.3 / (levels / 2), 0.25 / levels};
    std::vector<std::uint32_t> leaf_rows;
    std::vector<std::int64_t> q;
    std::int64_t leaf = 0;
    for (int r = 0; r < rows; ++r) {
      leaf_rows.push_back(std::uint32_t(2 * r));
      q.push_back(random_packed_row(rng, levels));
      leaf += q.back();
    }
    std::vector<std::vector<std::uint8_t>> columns(feature_count);
    std::vector<gbdt::detail::RowFeature> features(feature_count);
    for (int k = 0; k < feature_count; ++k) {
      const int bins = 1 + int(rng() % 255), spread = 1 + int(rng() % bins);
      const int shift = int(rng() % (bins - spread + 1));
      const bool missing = rng() % 3 != 0;
      columns[k].resize(2 * rows * stride);
      for (auto& b : columns[k]) b = std::uint8_t(missing && rng() % 10 == 0 ? bins : shift + int(rng() % spread));
      features[k] = {10 + k, columns[k].data(), bins};
    }
    const SplitRules& r = rules[trial % rules.size()];
    std::vector<Split> found(feature_count);
    gbdt::detail::best_thresholds_of_rows_packed(features.data(), feature_count, stride, leaf_rows.data(), q.data(),
                                                 leaf_rows.size(), leaf, scale, r, scratch, found.data());
    for (int k = 0; k < feature_count; ++k) {
      std::vector<std::int64_t> hist(features[k].bins + 1, 0);
      for (std::size_t i = 0; i < leaf_rows.size(); ++i) hist[columns[k][leaf_rows[i] * stride]] += q[i];
      const Split ref = gbdt::detail::best_threshold_packed(10 + k, hist.data(), features[k].bins, leaf, scale, r);
      SCOPED_TRACE(testing::Message() << "trial " << trial << " feature " << k << " bins " << features[k].bins);
      tally.add(found[k], ref);
      if (found[k].bin == ref.bin && found[k].default_left == ref.default_left) EXPECT_EQ(found[k].left_q, ref.left_q);
      expect_left_sums_match(found[k], scale);
    }
  }
  tally.check(50);
}

TEST(QuantizedGradients, StayInRangeSumExactlyAndRoundWithoutBias) {
  std::mt19937 rng(41);
  std::normal_distribution<float> gradient(0.0f, 0.4f);
  std::uniform_real_distribution<float> hessian(0.0f, 0.25f);
  const std::size_t rows = 500;
  std::vector<float> g(rows), h(rows);
  for (std::size_t i = 0; i < rows; ++i) g[i] = gradient(rng), h[i] = hessian(rng);
  for (int levels : {2, 4, 16, 64}) {
    SCOPED_TRACE(testing::Message() << levels << " levels");
    std::vector<std::int64_t> q(rows), again(rows);
    const GradientScale s = gbdt::detail::quantize_gradients(g.data(), h.data(), rows, levels, 9, q.data());
    gbdt::detail::quantize_gradients(g.data(), h.data(), rows, levels, 9, again.data());
    EXPECT_EQ(q, again);  // the draws depend on the seed and the row alone
    std::int64_t total = 0, sum_g = 0, sum_h = 0;
    std::vector<double> mean_g(rows, 0.0), mean_h(rows, 0.0);
    for (std::size_t i = 0; i < rows; ++i) {
      const std::int64_t gq = packed::gradient(q[i]), hq = packed::hessian(q[i]);
      ASSERT_EQ(packed::count(q[i]), 1);
      ASSERT_LE(std::abs(gq), levels / 2);
      ASSERT_LE(hq, levels);
      EXPECT_LT(std::fabs(double(gq) * s.g - g[i]), s.g * (1 + 1e-9));  // one of the two neighbouring steps
      EXPECT_LT(std::fabs(double(hq) * s.h - h[i]), s.h * (1 + 1e-9));
      total += q[i], sum_g += gq, sum_h += hq;
    }
    EXPECT_EQ(packed::gradient(total), sum_g);  // the packed sum is the sum of each field
    EXPECT_EQ(packed::hessian(total), sum_h);
    EXPECT_EQ(packed::count(total), std::int64_t(rows));
    // Over many seeds each row's steps average to its value.
    constexpr int kSeeds = 400;
    for (int seed = 0; seed < kSeeds; ++seed) {
      gbdt::detail::quantize_gradients(g.data(), h.data(), rows, levels, 1000 + seed, q.data());
      for (std::size_t i = 0; i < rows; ++i)
        mean_g[i] += double(packed::gradient(q[i])) * s.g / kSeeds, mean_h[i] += double(packed::hessian(q[i])) * s.h / kSeeds;
    }
    double worst = 0;
    for (std::size_t i = 0; i < rows; ++i)
      worst = std::max({worst, std::fabs(mean_g[i] - g[i]) / s.g, std::fabs(mean_h[i] - h[i]) / s.h});
    EXPECT_LT(worst, 0.12);  // a mean of 400 draws: standard error at most 0.025 of a step
  }
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
