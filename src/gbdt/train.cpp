// The boosting loop: binning, per-round gradients, sampling, one tree per
// output, score updates, validation and early stopping.
#include "gbdt/train.hpp"
#include "core/parallel.hpp"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "core/require.hpp"
#include "binning.hpp"
#include "objective.hpp"
#include "quantized_gradients.hpp"
#include "tree_learner.hpp"

namespace aoi::gbdt {
namespace {

void check_data(const DataView& d, const Params& p, const std::string& what, bool need_two_classes) {
  require(d.rows > 0 && d.cols > 0 && d.features, ErrorKind::kInvalidArgument, what, "no data (0 rows or 0 features)");
  require(d.labels.size() == d.rows, ErrorKind::kInvalidArgument, what,
          std::to_string(d.labels.size()) + " labels for " + std::to_string(d.rows) + " rows");
  require(d.weights.empty() || d.weights.size() == d.rows, ErrorKind::kInvalidArgument, what,
          "weights must have one value per row");
  const bool binary = p.objective == "binary";
  const int classes = binary ? 2 : p.num_class;
  std::vector<std::size_t> seen(classes, 0);
  for (std::size_t i = 0; i < d.rows; ++i) {
    const float y = d.labels[i];
    require(!std::isnan(y), ErrorKind::kInvalidArgument, what, "label of row " + std::to_string(i) + " is NaN");
    require(y == std::floor(y) && y >= 0 && y < classes, ErrorKind::kInvalidArgument, what,
            "label " + std::to_string(y) + " of row " + std::to_string(i) + " is not a class in 0.." +
                std::to_string(classes - 1));
    ++seen[int(y)];
    if (!d.weights.empty())
      require(std::isfinite(d.weights[i]) && d.weights[i] >= 0, ErrorKind::kInvalidArgument, what,
              "weight of row " + std::to_string(i) + " is negative or not finite");
  }
  if (need_two_classes)
    require(std::count_if(seen.begin(), seen.end(), [](std::size_t c) { return c > 0; }) >= 2,
            ErrorKind::kInvalidArgument, what, "all labels are one class; a classifier needs at least two");
}

// Exactly round(fraction * n) distinct items of 0..n-1, ascending (selection sampling).
std::vector<std::uint32_t> sample_sorted(std::size_t n, double fraction, std::mt19937_64& rng) {
  std::size_t want = std::max<std::size_t>(1, std::size_t(std::llround(fraction * n)));
  std::vector<std::uint32_t> out;
  out.reserve(want);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t i = 0; i < n && out.size() < want; ++i)
    if (u(rng) * double(n - i) < double(want - out.size())) out.push_back(std::uint32_t(i));
  return out;
}

// The leaf of training row `row`, walking the tree on its bins (each node's
// split bin is in node_bins), so out-of-bag rows need no raw features.
int binned_leaf(const Tree& tree, const std::vector<int>& node_bins, const detail::BinnedData& binned, std::size_t row) {
  if (tree.feature.empty()) return 0;
  for (int node = 0;;) {
    const int f = tree.feature[node];
    const int b = binned.column(f)[row];
    const bool left = b == binned.features[f].missing_bin() ? tree.default_left[node] : b <= node_bins[node];
    const int next = left ? tree.left[node] : tree.right[node];
    if (next < 0) return ~next;
    node = next;
  }
}

}  // namespace

Model train(const Params& params, const DataView& data, const DataView* valid,
            const std::function<void(const RoundLog&)>& on_round) {
  validate(params);
  check_data(data, params, "training data", true);
  if (valid) {
    require(valid->cols == data.cols, ErrorKind::kInvalidArgument, "validation data",
            "has " + std::to_string(valid->cols) + " features, the training data " + std::to_string(data.cols));
    check_data(*valid, params, "validation data", false);
  }
  const auto start = std::chrono::steady_clock::now();
  const bool binary = params.objective == "binary";
  const int outputs = binary ? 1 : params.num_class;
  const std::size_t rows = data.rows;
  const int levels = params.grad_quant_bins;
  if (levels > 0)
    require(rows <= detail::max_quantized_rows(levels), ErrorKind::kInvalidArgument, "parameter grad_quant_bins",
            std::to_string(levels) + " levels allow at most " + std::to_string(detail::max_quantized_rows(levels)) +
                " training rows, the data has " + std::to_string(rows) + "; use fewer levels, or 0");

  // Effective row weights: given weights x class weight (x scale_pos_weight for positives).
  std::vector<float> weights(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const int y = int(data.labels[i]);
    double w = data.weights.empty() ? 1.0 : data.weights[i];
    if (!params.class_weights.empty()) w *= params.class_weights[y];
    if (binary && y == 1) w *= params.scale_pos_weight;
    weights[i] = float(w);
  }

  Model model;
  model.objective = params.objective;
  model.num_class = binary ? 1 : params.num_class;
  model.num_features = int(data.cols);
  model.base_score = detail::initial_scores(binary, params.num_class, data.labels, weights);

  par::Arena arena(params.threads > 0 ? params.threads : par::default_threads());
  arena.execute([&] {
    const detail::BinnedData binned =
        detail::bin_features(data.features, rows, data.cols, params.max_bin, params.bin_sample_rows);
    detail::TreeLearner learner(
        binned, {params.num_leaves, params.max_depth,
                 {params.lambda_l1, params.lambda_l2, params.min_sum_hessian_in_leaf, double(params.min_data_in_leaf),
                  params.min_gain_to_split}});
    std::vector<double> scores(rows * outputs), valid_scores;
    for (std::size_t i = 0; i < rows; ++i)
      for (int k = 0; k < outputs; ++k) scores[i * outputs + k] = model.base_score[k];
    if (valid) {
      valid_scores.resize(valid->rows * outputs);
      for (std::size_t i = 0; i < valid->rows; ++i)
        for (int k = 0; k < outputs; ++k) valid_scores[i * outputs + k] = model.base_score[k];
    }
    std::vector<std::vector<float>> g(outputs, std::vector<float>(rows)), h(outputs, std::vector<float>(rows));
    std::vector<int> usable;
    for (std::size_t f = 0; f < data.cols; ++f)
      if (binned.features[f].usable) usable.push_back(int(f));
    std::vector<std::uint32_t> all_rows(rows);
    std::iota(all_rows.begin(), all_rows.end(), 0u);
    std::vector<int> node_bins;
    std::vector<std::int64_t> packed_rows(levels > 0 ? rows : 0);
    const bool maximize = params.metric == "auc";
    double best_metric = maximize ? -INFINITY : INFINITY;
    int best_round = -1;

    for (int round = 0; round < params.num_rounds; ++round) {
      detail::compute_gradients(binary, outputs, scores, data.labels, weights, g, h);
      // Sampling draws from a generator seeded by (seed, round, output) only,
      // so the model does not depend on the thread count.
      std::mt19937_64 bag_rng(std::uint64_t(params.seed) * 1000003u + std::uint64_t(round));
      const auto bag = params.bagging_fraction < 1.0 ? sample_sorted(rows, params.bagging_fraction, bag_rng) : all_rows;
      for (int k = 0; k < outputs; ++k) {
        std::vector<char> mask(data.cols, 1);
        if (params.feature_fraction < 1.0) {
          std::mt19937_64 rng(std::uint64_t(params.seed) * 7919u + std::uint64_t(round) * 104729u + std::uint64_t(k));
          std::fill(mask.begin(), mask.end(), 0);
          for (auto i : sample_sorted(usable.size(), params.feature_fraction, rng)) mask[usable[i]] = 1;
        }
        detail::QuantizedRows quantized;
        if (levels > 0) {
          // Draws seeded by (seed, round, output) alone, as the sampling's.
          const std::uint64_t draw = (std::uint64_t(params.seed) << 32) ^ (std::uint64_t(round) * 1000003u + k);
          quantized.scale = detail::quantize_gradients(g[k].data(), h[k].data(), rows, levels, draw, packed_rows.data());
          quantized.q = packed_rows.data();
        }
        Tree tree = learner.grow(bag, g[k].data(), h[k].data(), mask, params.learning_rate, node_bins, quantized);
        // Update every row's margin by walking the tree on bins.
        par::for_each_range(0, rows, 4096, [&](std::size_t r_begin, std::size_t r_end) {
          for (std::size_t i = r_begin; i < r_end; ++i)
            scores[i * outputs + k] += tree.leaf_value[binned_leaf(tree, node_bins, binned, i)];
        });
        if (valid)
          for (std::size_t i = 0; i < valid->rows; ++i)
            valid_scores[i * outputs + k] += tree.leaf_value[tree.leaf_index(valid->features + i * valid->cols)];
        model.trees.push_back(std::move(tree));
      }
      RoundLog log{round, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), NAN};
      if (valid) {
        log.valid_metric = detail::metric_from_scores(params.metric, binary, outputs, valid_scores, valid->labels, valid->weights);
        if (maximize ? log.valid_metric > best_metric : log.valid_metric < best_metric)
          best_metric = log.valid_metric, best_round = round;
      }
      if (on_round) on_round(log);
      if (valid && params.early_stopping_rounds > 0 && round - best_round >= params.early_stopping_rounds) break;
    }
    if (valid && params.early_stopping_rounds > 0) model.trees.resize(std::size_t(best_round + 1) * outputs);
    model.metadata = describe(params);
    model.metadata.emplace_back("train_rows", std::to_string(rows));
    model.metadata.emplace_back("rounds_kept", std::to_string(model.rounds()));
    if (valid) model.metadata.emplace_back("best_valid_" + params.metric, std::to_string(best_metric));
  });
  return model;
}

}  // namespace aoi::gbdt
