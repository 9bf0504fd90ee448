#include "pipeline/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/require.hpp"
#include "eval/metrics.hpp"
#include "pipeline/learner.hpp"

namespace aoi::pipeline {
namespace {

void mean_sd(const std::vector<double>& values, double& mean, double& sd) {
  std::vector<double> v;
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);
  mean = sd = std::nan("");
  if (v.empty()) return;
  mean = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : 0.0;  // sample standard deviation
}

}  // namespace

float fail_score_of(std::span<const float> p, int num_classes) {
  return num_classes == 2 ? p[0] : 1.0f - p[0];  // class 0 is "pass"
}

gbdt::Params params_for(const gbdt::Params& base, int num_classes) {
  gbdt::Params p = base;
  p.objective = num_classes == 2 ? "binary" : "multiclass";
  p.num_class = num_classes == 2 ? 1 : num_classes;
  if (num_classes != 2) p.metric = "logloss";
  return p;
}

int Evaluation::fold_of(std::size_t item) const {
  for (std::size_t f = 0; f < folds.size(); ++f)
    if (std::find(folds[f].test.begin(), folds[f].test.end(), item) != folds[f].test.end()) return int(f);
  return -1;
}

Evaluation evaluate_time_cv(const LabelledData& data, const EvaluateOptions& options) {
  require(data.rows == data.labels.size() && data.rows == data.times.size(), ErrorKind::kInvalidArgument, "evaluate",
          "features, labels and times differ in length");
  require(data.num_classes >= 2, ErrorKind::kInvalidArgument, "evaluate", "need at least two classes");
  const auto folds = eval::time_folds(data.times, data.groups, options.cv);
  const int k = data.num_classes, outputs = k == 2 ? 1 : k;
  require(options.mode != Mode::kAnomaly || k == 2, ErrorKind::kInvalidArgument, "anomaly mode",
          "scores pass against everything else: use two classes (pass, fail)");

  Evaluation ev;
  ev.fail_score.assign(data.rows, std::nanf(""));
  ev.predicted_class.assign(data.rows, -1);
  if (k > 2) ev.class_probabilities.assign(data.rows, {});
  std::vector<double> aucs, prs;
  for (const auto& fold : folds) {
    const auto start = std::chrono::steady_clock::now();
    Learned learned = learn(data, fold.train, options);
    FoldResult result;
    result.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.train_items = fold.train.size();
    result.test_items = fold.test.size();
    result.test = fold.test;
    result.test_time_begin = fold.test_time_begin;
    result.test_time_end = fold.test_time_end;
    const auto score_start = std::chrono::steady_clock::now();
    const auto proba = score_rows(learned, data, fold.test, options);
    result.score_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - score_start).count();
    if (options.keep_models) ev.fold_models.push_back(std::make_shared<const Learned>(std::move(learned)));
    std::vector<float> scores(fold.test.size()), truth(fold.test.size());
    for (std::size_t r = 0; r < fold.test.size(); ++r) {
      const std::size_t item = fold.test[r];
      const std::span<const float> p(proba.data() + r * outputs, outputs);
      scores[r] = ev.fail_score[item] = fail_score_of(p, k);
      truth[r] = data.labels[item] != 0;
      result.test_fails += data.labels[item] != 0;
      if (k > 2) {
        ev.class_probabilities[item].assign(p.begin(), p.end());
        ev.predicted_class[item] = int(std::max_element(p.begin(), p.end()) - p.begin());
      }
    }
    const bool both = result.test_fails > 0 && result.test_fails < result.test_items;
    result.auc = both ? eval::roc_auc(scores, truth) : std::nan("");
    result.pr_auc = both ? eval::pr_auc(scores, truth) : std::nan("");
    aucs.push_back(result.auc);
    prs.push_back(result.pr_auc);
    ev.folds.push_back(std::move(result));
  }
  mean_sd(aucs, ev.auc_mean, ev.auc_sd);
  mean_sd(prs, ev.pr_auc_mean, ev.pr_auc_sd);

  // Thresholds over every out-of-fold prediction together.
  std::vector<float> scores, truth;
  for (std::size_t i = 0; i < data.rows; ++i)
    if (!std::isnan(ev.fail_score[i])) scores.push_back(ev.fail_score[i]), truth.push_back(data.labels[i] != 0);
  ev.pass_point = eval::point_for_recall(scores, truth, options.target_recall);
  ev.fail_point = eval::point_for_precision(scores, truth, options.target_precision);
  ev.confusion.assign(k, std::vector<std::size_t>(k, 0));
  for (std::size_t i = 0; i < data.rows; ++i) {
    if (std::isnan(ev.fail_score[i])) continue;
    if (k == 2) ev.predicted_class[i] = ev.fail_score[i] >= ev.pass_point.threshold;
    ++ev.confusion[data.labels[i]][ev.predicted_class[i]];
  }
  return ev;
}

}  // namespace aoi::pipeline
