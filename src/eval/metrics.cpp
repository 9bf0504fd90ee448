#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/require.hpp"

namespace aoi::eval {
namespace {

void check(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights,
           const char* metric) {
  require(scores.size() == labels.size() && (weights.empty() || weights.size() == labels.size()),
          ErrorKind::kInvalidArgument, metric, "scores, labels and weights differ in length");
  require(!scores.empty(), ErrorKind::kInvalidArgument, metric, "no items");
}

// Indices sorted by descending score, so that tied scores are adjacent.
std::vector<std::size_t> by_score_descending(std::span<const float> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

}  // namespace

double roc_auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
  check(scores, labels, weights, "roc_auc");
  const auto order = by_score_descending(scores);
  // Walk groups of tied scores from the top: each positive in a group beats
  // every negative below the group and ties with the group's negatives.
  double negatives_below_total = 0, pos_total = 0, wins = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    (labels[i] > 0.5 ? pos_total : negatives_below_total) += w;
  }
  const double neg_total = negatives_below_total;
  require(pos_total > 0 && neg_total > 0, ErrorKind::kInvalidArgument, "roc_auc", "needs both classes");
  double negatives_remaining = neg_total;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    double pos = 0, neg = 0;
    for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j) {
      const double w = weights.empty() ? 1.0 : weights[order[j]];
      (labels[order[j]] > 0.5 ? pos : neg) += w;
    }
    negatives_remaining -= neg;
    wins += pos * (negatives_remaining + 0.5 * neg);
    i = j;
  }
  return wins / (pos_total * neg_total);
}

double pr_auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights) {
  check(scores, labels, weights, "pr_auc");
  const auto order = by_score_descending(scores);
  double pos_total = 0;
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] > 0.5) pos_total += weights.empty() ? 1.0 : weights[i];
  require(pos_total > 0, ErrorKind::kInvalidArgument, "pr_auc", "needs at least one positive");
  double tp = 0, fp = 0, area = 0, previous_recall = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j) {
      const double w = weights.empty() ? 1.0 : weights[order[j]];
      (labels[order[j]] > 0.5 ? tp : fp) += w;
    }
    const double recall = tp / pos_total, precision = tp / (tp + fp);
    area += (recall - previous_recall) * precision;
    previous_recall = recall;
    i = j;
  }
  return area;
}

double log_loss(std::span<const float> p, std::span<const float> labels, std::span<const float> weights) {
  check(p, labels, weights, "log_loss");
  double sum = 0, total = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double q = std::clamp(double(p[i]), 1e-15, 1 - 1e-15);
    const double w = weights.empty() ? 1.0 : weights[i];
    sum -= w * (labels[i] > 0.5 ? std::log(q) : std::log(1 - q));
    total += w;
  }
  return sum / total;
}

}  // namespace aoi::eval
