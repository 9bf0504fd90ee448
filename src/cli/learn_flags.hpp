// The options train and evaluate share (GBDT parameters, time-based CV,
// decision targets, classes, resize policy) and the step from featurized
// manifest items to labelled data.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/evaluate.hpp"
#include "manifest_input.hpp"

namespace aoi::cli {

struct LearnFlags {
  EngineFlags engine;
  CacheFlags cache;
  ClassFlags classes;
  std::string manifest, policy, mode = pipeline::mode_name(pipeline::kDefaultMode);
  std::size_t bank_points = anomaly::BankParams{}.max_points;
  std::vector<std::string> params;
  int folds = 5, gap = 0, batch = 8;
  double target_recall = 0.99, target_precision = 0.99;
};
void add_learn_flags(CLI::App& cmd, LearnFlags& flags, int default_folds_min);
// The engine these flags ask for (with the patch grid when the mode needs it).
Engine open_learn_engine(const LearnFlags& flags);

gbdt::Params learn_params(const LearnFlags& flags);
pipeline::EvaluateOptions evaluate_options(const LearnFlags& flags);
pipeline::FeaturizeOptions featurize_options(const LearnFlags& flags);

// Rows of the featurized items in the order they were kept.
struct LabelledRows {
  std::vector<int> labels;
  std::vector<std::int64_t> times;
  std::vector<std::string> groups;
  pipeline::LabelledData view(const ManifestFeatures& data, const Engine& engine) const;
};
LabelledRows labelled_rows(const ManifestFeatures& data);

}  // namespace aoi::cli

#include <nlohmann/json.hpp>

namespace aoi::cli {

// The machine-readable evaluation: per-fold and mean AUC (`auc`, `auc_mean`),
// PR AUC, operating points, confusion matrix.
nlohmann::json evaluation_json(const pipeline::Evaluation& ev, const pipeline::EvaluateOptions& options,
                               const std::vector<std::string>& classes);

// Prints per-fold and mean AUC and the operating point to stdout.
void print_evaluation(const pipeline::Evaluation& ev, const pipeline::EvaluateOptions& options);

}  // namespace aoi::cli
