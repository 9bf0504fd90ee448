// Time-based cross-validation of the GBDT on features, and the decision
// thresholds that come out of it. Knows nothing of images or files.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eval/operating_point.hpp"
#include "eval/time_cv.hpp"
#include "anomaly/memory_bank.hpp"
#include "gbdt/params.hpp"
#include "pipeline/mode.hpp"

namespace aoi::pipeline {

// Features with their labels (0/1, or class indices), times and groups.
struct LabelledData {
  const float* features = nullptr;
  std::size_t rows = 0, cols = 0;
  std::span<const int> labels;
  std::span<const std::int64_t> times;
  std::span<const std::string> groups;  // may be empty
  int num_classes = 2;                  // 2: binary pass/fail; else class 0 is "pass"
  // Rows may carry a patch grid after their `cols` features (anomaly and
  // combined modes): patch_count x patch_dim floats; a row is then
  // cols + patch_count * patch_dim floats long.
  int patch_count = 0, patch_dim = 0;
  std::size_t stride() const { return cols + std::size_t(patch_count) * patch_dim; }
  const float* row(std::size_t i) const { return features + i * stride(); }
};

struct EvaluateOptions {
  Mode mode = Mode::kSupervised;
  gbdt::Params params;            // objective and num_class are set from the data; threads for every mode
  anomaly::BankParams bank;       // anomaly and combined modes
  eval::TimeCvOptions cv;
  double target_recall = 0.99;    // the pass threshold catches this share of fails
  double target_precision = 0.99; // the fail threshold: flagged items at least this pure
  bool keep_models = false;       // keep each fold's model in Evaluation::fold_models (for heatmaps)
};

struct Learned;  // pipeline/learner.hpp

struct FoldResult {
  std::size_t train_items = 0, test_items = 0, test_fails = 0;
  std::int64_t test_time_begin = 0, test_time_end = 0;
  double auc = 0, pr_auc = 0;     // NaN when the test block lacks a class
  double train_seconds = 0;
  double score_seconds = 0;       // scoring the test block (anomaly modes: the nearest-neighbour search)
  std::vector<std::size_t> test;  // item indices
};

struct Evaluation {
  std::vector<FoldResult> folds;
  double auc_mean = 0, auc_sd = 0, pr_auc_mean = 0, pr_auc_sd = 0;
  // Out-of-fold predictions; items in no test block (the first block) have
  // fail_score NaN and predicted_class -1.
  std::vector<float> fail_score;      // P(fail), or 1 - P(pass) for classes
  std::vector<int> predicted_class;   // argmax class (binary: 1 when fail_score >= pass threshold)
  std::vector<std::vector<float>> class_probabilities;  // multi-class only, per item
  eval::OperatingPoint pass_point;    // at target_recall, over all out-of-fold items
  eval::OperatingPoint fail_point;    // at target_precision
  std::vector<std::vector<std::size_t>> confusion;  // [true][predicted] over out-of-fold items
  // With EvaluateOptions::keep_models: the model of each fold, in fold order.
  std::vector<std::shared_ptr<const Learned>> fold_models;
  // The fold whose test block holds item i (-1: none).
  int fold_of(std::size_t item) const;
};

// Trains one model per time fold and scores its test block; thresholds and
// the confusion matrix come from all out-of-fold scores together.
Evaluation evaluate_time_cv(const LabelledData& data, const EvaluateOptions& options);

// The per-class softmax (or sigmoid) output to a single fail score.
float fail_score_of(std::span<const float> probabilities, int num_classes);

// GBDT parameters for this data: objective and num_class from num_classes.
gbdt::Params params_for(const gbdt::Params& base, int num_classes);

}  // namespace aoi::pipeline
