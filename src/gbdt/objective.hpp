// Losses: gradients and hessians of binary log-loss and multi-class softmax.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace aoi::gbdt::detail {

// Initial margins from the weighted label distribution (boost from average).
std::vector<double> initial_scores(bool binary, int classes, std::span<const float> labels,
                                   std::span<const float> weights);

// For row i and output k: g[k][i], h[k][i] from margins scores[i * K + k].
void compute_gradients(bool binary, int outputs, std::span<const double> scores, std::span<const float> labels,
                       std::span<const float> weights, std::vector<std::vector<float>>& g,
                       std::vector<std::vector<float>>& h);

// Validation metric from margins: AUC (higher is better) or log-loss (lower).
double metric_from_scores(const std::string& metric, bool binary, int outputs, std::span<const double> scores,
                          std::span<const float> labels, std::span<const float> weights);

}  // namespace aoi::gbdt::detail
