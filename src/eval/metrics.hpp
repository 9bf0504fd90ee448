// Classification metrics shared by the GBDT trainer (early stopping) and the
// evaluation pipeline. Scores are "higher means more likely positive".
#pragma once

#include <span>

namespace aoi::eval {

// ROC AUC by the Mann-Whitney statistic: the probability that a random
// positive outscores a random negative, ties counting one half. Optional
// per-item weights. Throws if either class is absent.
double roc_auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights = {});

// Area under the precision-recall curve as average precision: the sum over
// distinct score thresholds of (recall step) x (precision there); tied scores
// enter together.
double pr_auc(std::span<const float> scores, std::span<const float> labels, std::span<const float> weights = {});

// Mean binary cross-entropy of probabilities, clipped to [1e-15, 1 - 1e-15].
double log_loss(std::span<const float> probabilities, std::span<const float> labels, std::span<const float> weights = {});

}  // namespace aoi::eval
