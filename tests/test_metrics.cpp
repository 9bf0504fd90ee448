// Metrics against cases computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "core/require.hpp"
#include "eval/metrics.hpp"

namespace aoi::test {
namespace {

TEST(RocAuc, PerfectInvertedAndHandCountedCases) {
  const std::vector<float> y{0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(eval::roc_auc(std::vector<float>{0.1f, 0.2f, 0.8f, 0.9f}, y), 1.0);
  EXPECT_DOUBLE_EQ(eval::roc_auc(std::vector<float>{0.9f, 0.8f, 0.2f, 0.1f}, y), 0.0);
  // Pairs (pos, neg): (0.35 vs 0.1) win, (0.35 vs 0.4) loss, (0.8 vs both) win: 3 of 4.
  EXPECT_DOUBLE_EQ(eval::roc_auc(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}, y), 0.75);
}

TEST(RocAuc, TiesCountOneHalf) {
  // Every score tied: each of the 2 x 2 pairs counts one half.
  EXPECT_DOUBLE_EQ(eval::roc_auc(std::vector<float>(4, 0.5f), std::vector<float>{0, 1, 0, 1}), 0.5);
  // pos {0.5, 0.9}, neg {0.5, 0.1}: 0.5 vs 0.5 tie (0.5), 0.5 vs 0.1 win, 0.9 wins both: 3.5 / 4.
  EXPECT_DOUBLE_EQ(eval::roc_auc(std::vector<float>{0.5f, 0.9f, 0.5f, 0.1f}, std::vector<float>{1, 1, 0, 0}), 0.875);
}

TEST(RocAuc, WeightsActAsRepeatedRows) {
  const std::vector<float> s{0.1f, 0.4f, 0.35f, 0.8f}, y{0, 0, 1, 1}, w{1, 2, 1, 1};
  const std::vector<float> s2{0.1f, 0.4f, 0.4f, 0.35f, 0.8f}, y2{0, 0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(eval::roc_auc(s, y, w), eval::roc_auc(s2, y2));
}

TEST(RocAuc, OneClassIsAnError) {
  EXPECT_THROW(eval::roc_auc(std::vector<float>{0.1f, 0.2f}, std::vector<float>{1, 1}), Error);
  EXPECT_THROW(eval::roc_auc(std::vector<float>{0.1f}, std::vector<float>{1, 0}), Error);
}

TEST(PrAuc, AveragePrecisionByHand) {
  // Ranked: 0.9 pos (P=1, R=1/2), 0.8 neg, 0.7 pos (P=2/3, R=1): AP = 1/2 * 1 + 1/2 * 2/3.
  EXPECT_NEAR(eval::pr_auc(std::vector<float>{0.9f, 0.8f, 0.7f}, std::vector<float>{1, 0, 1}), 0.5 + 1.0 / 3, 1e-12);
  // A tie of one positive and one negative at the top enters together: P = 1/2 at R = 1.
  EXPECT_NEAR(eval::pr_auc(std::vector<float>{0.5f, 0.5f}, std::vector<float>{1, 0}), 0.5, 1e-12);
}

TEST(LogLoss, ByHandAndClipped) {
  EXPECT_NEAR(eval::log_loss(std::vector<float>{0.8f, 0.4f}, std::vector<float>{1, 0}),
              -(std::log(0.8) + std::log(0.6)) / 2, 1e-6);
  EXPECT_TRUE(std::isfinite(eval::log_loss(std::vector<float>{0.0f}, std::vector<float>{1})));
}

}  // namespace
}  // namespace aoi::test
