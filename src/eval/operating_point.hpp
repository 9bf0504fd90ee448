// Curves and decision thresholds from scores ("higher means more likely a
// fail") and 0/1 labels. A score at or above a threshold is flagged.
#pragma once

#include <span>
#include <vector>

namespace aoi::eval {

struct CurvePoint {
  double x, y;  // ROC: (false-positive rate, true-positive rate); PR: (recall, precision)
};
// One point per distinct score, from the highest threshold down; ROC starts at (0,0).
std::vector<CurvePoint> roc_curve(std::span<const float> scores, std::span<const float> labels);
std::vector<CurvePoint> pr_curve(std::span<const float> scores, std::span<const float> labels);

struct OperatingPoint {
  double threshold = 0;      // flag when score >= threshold
  double recall = 0;         // share of fails flagged
  double precision = 0;      // share of flagged items that are fails
  double auto_pass = 0;      // share of all items below the threshold: what people no longer review
  double pass_cleared = 0;   // share of true passes below the threshold
  std::size_t items = 0, fails = 0, escapes = 0;  // escapes: fails below the threshold
};

// The highest threshold that still flags at least `target_recall` of the fails
// (default 99%: at most 1 in 100 defects escapes). Throws without fails.
OperatingPoint point_for_recall(std::span<const float> scores, std::span<const float> labels, double target_recall);

// The lowest threshold at which the flagged items are at least
// `target_precision` fails; above 1 (nothing flagged) when none reaches it.
OperatingPoint point_for_precision(std::span<const float> scores, std::span<const float> labels, double target_precision);

// The statistics of a given threshold.
OperatingPoint point_at(std::span<const float> scores, std::span<const float> labels, double threshold);

}  // namespace aoi::eval
