#include "objective.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "eval/metrics.hpp"

namespace aoi::gbdt::detail {

std::vector<double> initial_scores(bool binary, int classes, std::span<const float> labels,
                                   std::span<const float> weights) {
  const int k_count = binary ? 2 : classes;
  std::vector<double> mass(k_count, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    mass[int(labels[i])] += w, total += w;
  }
  if (binary) {
    const double p = std::clamp(mass[1] / total, 1e-6, 1 - 1e-6);
    return {std::log(p / (1 - p))};
  }
  std::vector<double> out(classes);
  for (int k = 0; k < classes; ++k) out[k] = std::log(std::max(mass[k] / total, 1e-6));
  return out;
}

void compute_gradients(bool binary, int outputs, std::span<const double> scores, std::span<const float> labels,
                       std::span<const float> weights, std::vector<std::vector<float>>& g,
                       std::vector<std::vector<float>>& h) {
  const std::size_t rows = labels.size();
  // LightGBM's softmax hessian factor K / (K - 1) keeps the Newton step calibrated.
  const double factor = binary ? 1.0 : double(outputs) / (outputs - 1);
  par::for_each_range(0, rows, 1024, [&](std::size_t range_begin, std::size_t range_end) {
    std::vector<double> p(outputs);
    for (std::size_t i = range_begin; i < range_end; ++i) {
      const double w = weights.empty() ? 1.0 : weights[i];
      if (binary) {
        const double q = 1.0 / (1.0 + std::exp(-scores[i]));
        g[0][i] = float(w * (q - labels[i]));
        h[0][i] = float(std::max(w * q * (1 - q), 1e-16));
        continue;
      }
      double top = scores[i * outputs];
      for (int k = 1; k < outputs; ++k) top = std::max(top, scores[i * outputs + k]);
      double sum = 0;
      for (int k = 0; k < outputs; ++k) sum += p[k] = std::exp(scores[i * outputs + k] - top);
      for (int k = 0; k < outputs; ++k) {
        const double q = p[k] / sum;
        g[k][i] = float(w * (q - (int(labels[i]) == k ? 1.0 : 0.0)));
        h[k][i] = float(std::max(factor * w * q * (1 - q), 1e-16));
      }
    }
  });
}

double metric_from_scores(const std::string& metric, bool binary, int outputs, std::span<const double> scores,
                          std::span<const float> labels, std::span<const float> weights) {
  const std::size_t rows = labels.size();
  if (binary) {
    std::vector<float> p(rows);
    for (std::size_t i = 0; i < rows; ++i) p[i] = float(1.0 / (1.0 + std::exp(-scores[i])));
    return metric == "auc" ? eval::roc_auc(p, labels, weights) : eval::log_loss(p, labels, weights);
  }
  double sum = 0, total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    double top = scores[i * outputs];
    for (int k = 1; k < outputs; ++k) top = std::max(top, scores[i * outputs + k]);
    double z = 0;
    for (int k = 0; k < outputs; ++k) z += std::exp(scores[i * outputs + k] - top);
    const double q = std::exp(scores[i * outputs + int(labels[i])] - top) / z;
    const double w = weights.empty() ? 1.0 : weights[i];
    sum -= w * std::log(std::max(q, 1e-15)), total += w;
  }
  return sum / total;
}

}  // namespace aoi::gbdt::detail
