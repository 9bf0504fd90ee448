// The evaluation report: one self-contained HTML file (no external assets)
// for a quality engineer: what the thresholds decide (truth x pass / review /
// fail, escapes, auto-pass share; overall and per fold), ROC and PR curves per
// fold with the operating points marked, score histograms of passes and
// fails, the confusion matrix, galleries of the worst errors and of the
// review band, and the run (version, date, CPU, ISA, threads, times).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/image.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/featurize.hpp"

namespace aoi::pipeline {

struct ReportInput {
  std::string title = "aoi evaluation";
  std::vector<std::pair<std::string, std::string>> facts;  // shown as a table: data, weights, parameters, timings
  const Evaluation* evaluation = nullptr;
  std::vector<int> labels;                 // per item, class index (0 = pass)
  std::vector<std::string> classes;
  std::vector<ImageRegion> items;          // per item, for thumbnails
  int gallery = 12;                        // worst misses and worst false alarms shown
  int thumbnail = 128;                     // thumbnail side in pixels
  io::ImageLimits limits;
  // Optional: item index to its heatmap overlay (pipeline/heatmap.hpp),
  // shown beside it in the galleries; may throw for an item it cannot map.
  std::function<io::Image(std::size_t item)> heatmap;
};

void write_report(const std::filesystem::path& path, const ReportInput& input);

// What the thresholds decide, truth (pass / any defect) x decision (auto-pass,
// review, auto-fail), over the out-of-fold items of `fold` (-1: all folds).
// Auto-pass below the pass point's threshold, auto-fail from the fail point's
// (never below the pass threshold), review between.
struct DecisionCounts {
  std::size_t counts[2][3] = {};  // [truth: 0 pass, 1 fail][0 pass, 1 review, 2 fail]
  std::size_t items() const;
  std::size_t escapes() const { return counts[1][0]; }  // defects auto-passed
  double auto_pass_share() const;
};
DecisionCounts decision_counts(const Evaluation& ev, const std::vector<int>& labels, int fold = -1);

}  // namespace aoi::pipeline
