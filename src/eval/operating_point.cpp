#include "eval/operating_point.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/require.hpp"

namespace aoi::eval {
namespace {

std::vector<std::size_t> descending(std::span<const float> scores, std::span<const float> labels) {
  require(scores.size() == labels.size(), ErrorKind::kInvalidArgument, "curve", "scores and labels differ in length");
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] > scores[b]; });
  return order;
}

// Calls visit(threshold, tp, fp) after each run of tied scores, from the top.
template <class Visit>
void sweep(std::span<const float> scores, std::span<const float> labels, Visit visit) {
  const auto order = descending(scores, labels);
  std::size_t tp = 0, fp = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    (labels[order[k]] > 0.5f ? tp : fp)++;
    if (k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]]) visit(double(scores[order[k]]), tp, fp);
  }
}

}  // namespace

std::vector<CurvePoint> roc_curve(std::span<const float> scores, std::span<const float> labels) {
  const double p = std::count_if(labels.begin(), labels.end(), [](float l) { return l > 0.5f; });
  const double n = double(labels.size()) - p;
  std::vector<CurvePoint> points{{0, 0}};
  sweep(scores, labels, [&](double, std::size_t tp, std::size_t fp) {
    points.push_back({n > 0 ? fp / n : 0.0, p > 0 ? tp / p : 0.0});
  });
  return points;
}

std::vector<CurvePoint> pr_curve(std::span<const float> scores, std::span<const float> labels) {
  const double p = std::count_if(labels.begin(), labels.end(), [](float l) { return l > 0.5f; });
  std::vector<CurvePoint> points;
  sweep(scores, labels, [&](double, std::size_t tp, std::size_t fp) {
    points.push_back({p > 0 ? tp / p : 0.0, double(tp) / double(tp + fp)});
  });
  return points;
}

OperatingPoint point_at(std::span<const float> scores, std::span<const float> labels, double threshold) {
  require(scores.size() == labels.size(), ErrorKind::kInvalidArgument, "operating point", "scores and labels differ in length");
  OperatingPoint op;
  op.threshold = threshold;
  op.items = scores.size();
  std::size_t flagged = 0, caught = 0, passes = 0, cleared = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool fail = labels[i] > 0.5f, flag = scores[i] >= threshold;
    op.fails += fail, flagged += flag, caught += fail && flag, passes += !fail, cleared += !fail && !flag;
  }
  op.escapes = op.fails - caught;
  op.recall = op.fails ? double(caught) / op.fails : 0.0;
  op.precision = flagged ? double(caught) / flagged : 1.0;
  op.auto_pass = op.items ? double(op.items - flagged) / op.items : 0.0;
  op.pass_cleared = passes ? double(cleared) / passes : 0.0;
  return op;
}

OperatingPoint point_for_recall(std::span<const float> scores, std::span<const float> labels, double target_recall) {
  require(target_recall > 0 && target_recall <= 1, ErrorKind::kInvalidArgument, "operating point",
          "target recall must be in (0, 1]");
  std::vector<float> fail_scores;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (labels[i] > 0.5f) fail_scores.push_back(scores[i]);
  require(!fail_scores.empty(), ErrorKind::kInvalidArgument, "operating point", "no fails to set a threshold on");
  std::sort(fail_scores.begin(), fail_scores.end(), std::greater<>());
  // Catch at least ceil(target * fails); the small epsilon keeps 0.99 * 100 at 99.
  const auto need = std::size_t(std::ceil(target_recall * fail_scores.size() - 1e-9));
  return point_at(scores, labels, fail_scores[std::max<std::size_t>(need, 1) - 1]);
}

OperatingPoint point_for_precision(std::span<const float> scores, std::span<const float> labels, double target_precision) {
  require(target_precision > 0 && target_precision <= 1, ErrorKind::kInvalidArgument, "operating point",
          "target precision must be in (0, 1]");
  double best = 1.0 + 1e-6;  // above every probability: nothing is flagged
  sweep(scores, labels, [&](double t, std::size_t tp, std::size_t fp) {
    if (double(tp) / double(tp + fp) >= target_precision) best = t;
  });
  return point_at(scores, labels, best);
}

}  // namespace aoi::eval
