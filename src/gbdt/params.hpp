// Every GBDT training parameter, declared once: name, type, default, valid
// range and description live in the X-macro tables below, which generate both
// the Params struct and the run-time table used to parse, check and document.
#pragma once

#include <string>
#include <vector>

namespace aoi::gbdt {

// X(name, type, default, min, max, description)
#define AOI_GBDT_NUMERIC_PARAMS(X)                                                                               \
  X(num_rounds, int, 100, 1, 100000, "boosting rounds (one tree per class per round)")                           \
  X(learning_rate, double, 0.1, 1e-6, 1.0, "shrinkage applied to every leaf value")                              \
  X(num_leaves, int, 31, 2, 4096, "maximum leaves per tree (leaf-wise growth)")                                  \
  X(max_depth, int, -1, -1, 64, "maximum tree depth; -1 for no limit")                                           \
  X(min_data_in_leaf, int, 20, 1, 1000000000, "minimum training rows in a leaf")                                 \
  X(min_sum_hessian_in_leaf, double, 1e-3, 0.0, 1e12, "minimum sum of hessians (weighted) in a leaf")            \
  X(min_gain_to_split, double, 0.0, 0.0, 1e12, "minimum loss reduction to make a split")                         \
  X(lambda_l1, double, 0.0, 0.0, 1e12, "L1 regularisation of leaf values")                                       \
  X(lambda_l2, double, 0.0, 0.0, 1e12, "L2 regularisation of leaf values")                                       \
  X(max_bin, int, 255, 2, 255, "maximum histogram bins per feature (missing values get their own bin)")          \
  X(bin_sample_rows, int, 200000, 1000, 100000000, "rows sampled to place bin boundaries")                       \
  X(feature_fraction, double, 1.0, 1e-6, 1.0, "share of features each tree may use")                             \
  X(bagging_fraction, double, 1.0, 1e-6, 1.0, "share of rows each tree is grown on")                             \
  X(seed, int, 0, 0, 2147483647, "seed of feature and row sampling")                                             \
  X(grad_quant_bins, int, 0, 0, 64, "0: splits from exact gradient sums; N >= 2: from gradients and hessians rounded (stochastically) to N levels, in integer histograms, faster; leaf values stay exact") \
  X(num_class, int, 1, 1, 1000, "classes: 1 for binary, the class count for multiclass")                         \
  X(scale_pos_weight, double, 1.0, 1e-9, 1e9, "weight multiplier of positive rows (binary)")                     \
  X(early_stopping_rounds, int, 0, 0, 100000, "stop when the validation metric has not improved for this many rounds; 0 = off") \
  X(threads, int, 0, 0, 1024, "threads; 0 = all cores (results do not depend on it)")

// X(name, default, choices, description)
#define AOI_GBDT_CHOICE_PARAMS(X)                                                           \
  X(objective, "binary", "binary|multiclass", "loss: binary log-loss or multi-class softmax") \
  X(metric, "auc", "auc|logloss", "validation metric for early stopping (auc: binary only)")

struct Params {
#define AOI_DECLARE_NUMERIC(name, type, def, lo, hi, doc) type name = def;
#define AOI_DECLARE_CHOICE(name, def, choices, doc) std::string name = def;
  AOI_GBDT_NUMERIC_PARAMS(AOI_DECLARE_NUMERIC)
  AOI_GBDT_CHOICE_PARAMS(AOI_DECLARE_CHOICE)
#undef AOI_DECLARE_NUMERIC
#undef AOI_DECLARE_CHOICE
  // Per-class row weights ("class_weights=1,8"); empty means all 1.
  std::vector<double> class_weights;
};

struct ParamInfo {
  std::string name, type, default_value, range, description;
};
const std::vector<ParamInfo>& param_table();

// Sets one parameter from text; unknown names, bad numbers and values out of
// range are aoi::Errors that say which parameter and why.
void set_param(Params& params, const std::string& name, const std::string& value);
// "name=value" items, in order.
Params parse_params(const std::vector<std::string>& assignments);
// Cross-parameter checks (e.g. num_class against the objective).
void validate(const Params& params);
// name=value lines of every parameter, for model metadata.
std::vector<std::pair<std::string, std::string>> describe(const Params& params);

}  // namespace aoi::gbdt
