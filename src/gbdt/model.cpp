// Tree traversal, model checks, importance, and the flattened predictor.
#include "gbdt/model.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/require.hpp"

namespace aoi::gbdt {

int Tree::leaf_index(const float* row) const {
  if (feature.empty()) return 0;
  int node = 0;
  while (true) {
    const float v = row[feature[node]];
    const int next = std::isnan(v) ? (default_left[node] ? left[node] : right[node])
                                   : (v <= threshold[node] ? left[node] : right[node]);
    if (next < 0) return ~next;
    node = next;
  }
}

void Model::check_feature_count(std::size_t count, const std::string& context) const {
  require(count == std::size_t(num_features), ErrorKind::kInvalidArgument, context,
          "the model was trained on " + std::to_string(num_features) + " features, the data has " +
              std::to_string(count));
}

namespace {
// Deeper than any tree the trainer grows (num_leaves is at most 4096, so
// depth below 4096); bounds the predictor's walk.
constexpr int kMaxTreeDepth = 4096;
}  // namespace

void Model::validate(const std::string& context) const {
  auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadData, context + ": invalid model: " + what); };
  if (objective != "binary" && objective != "multiclass") throw bad("unknown objective '" + objective + "'");
  if (objective == "binary" ? num_class != 1 : num_class < 3 || num_class > 1000) throw bad("bad num_class");
  if (num_features < 1 || num_features > (1 << 24)) throw bad("bad num_features");
  if (base_score.size() != std::size_t(outputs())) throw bad("base_score needs one value per output");
  if (trees.size() % outputs() != 0) throw bad("tree count is not a multiple of the outputs");
  for (std::size_t t = 0; t < trees.size(); ++t) {
    const Tree& tr = trees[t];
    const std::size_t n = tr.feature.size();
    const std::string which = "tree " + std::to_string(t);
    if (tr.threshold.size() != n || tr.default_left.size() != n || tr.left.size() != n || tr.right.size() != n ||
        tr.gain.size() != n)
      throw bad(which + " has arrays of different lengths");
    if (tr.leaf_value.size() != n + 1) throw bad(which + " must have one more leaf than internal nodes");
    // A tree: every child index in range and after its parent (no cycles),
    // every leaf and every internal node but the root reached exactly once
    // (no shared subtrees, which would make a small file expand
    // exponentially), and the depth bounded.
    std::vector<int> leaf_refs(n + 1, 0), node_refs(n, 0), depth(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      if (tr.feature[i] < 0 || tr.feature[i] >= num_features) throw bad(which + " splits on a feature out of range");
      if (std::isnan(tr.threshold[i])) throw bad(which + " has a NaN threshold");
      for (int c : {tr.left[i], tr.right[i]}) {
        if (c >= 0 ? (c <= int(i) || c >= int(n)) : (~c >= int(n + 1))) throw bad(which + " has a child out of range");
        if (c < 0) {
          ++leaf_refs[~c];
        } else {
          ++node_refs[c];
          depth[c] = depth[i] + 1;
          if (depth[c] >= kMaxTreeDepth) throw bad(which + " is deeper than " + std::to_string(kMaxTreeDepth));
        }
      }
    }
    for (std::size_t i = 1; i < n; ++i)
      if (node_refs[i] != 1) throw bad(which + " does not reach node " + std::to_string(i) + " exactly once");
    for (double v : tr.leaf_value)
      if (!std::isfinite(v)) throw bad(which + " has a non-finite leaf value");
    if (n > 0)
      for (int r : leaf_refs)
        if (r != 1) throw bad(which + " does not reference every leaf exactly once");
  }
}

std::vector<double> Model::importance(Importance kind) const {
  std::vector<double> out(num_features, 0.0);
  for (const auto& t : trees)
    for (std::size_t i = 0; i < t.feature.size(); ++i) out[t.feature[i]] += kind == Importance::kSplitCount ? 1.0 : t.gain[i];
  return out;
}

Predictor::Predictor(const Model& model)
    : base_score_(model.base_score), outputs_(model.outputs()), num_features_(model.num_features),
      softmax_(model.objective == "multiclass") {
  model.validate("predictor");
  constexpr float kAlways = std::numeric_limits<float>::infinity();
  std::vector<int> depths;
  for (const auto& t : model.trees) {
    // Breadth-first emission with siblings adjacent. `code` is the tree's
    // child encoding (>= 0 internal node, < 0 leaf ~code).
    const std::int32_t root = std::int32_t(nodes_.size());
    roots_.push_back(root);
    std::vector<std::pair<std::int32_t, int>> queue{{t.feature.empty() ? -1 : 0, 0}};  // (code, depth)
    nodes_.push_back({});
    values_.push_back(0);
    int depth = 0;
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const auto [code, d] = queue[q];
      const std::int32_t at = root + std::int32_t(q);
      depth = std::max(depth, d);
      if (code < 0) {
        nodes_[at] = {0, kAlways, at, 1};
        values_[at] = t.leaf_value[~code];
        continue;
      }
      const std::int32_t left = std::int32_t(nodes_.size());
      nodes_[at] = {t.feature[code], t.threshold[code], left, t.default_left[code]};
      queue.push_back({t.left[code], d + 1});
      queue.push_back({t.right[code], d + 1});
      nodes_.push_back({}), nodes_.push_back({});
      values_.push_back(0), values_.push_back(0);
    }
    depths.push_back(depth);
  }
  for (std::size_t g = 0; g < depths.size(); g += kLanes)
    group_depth_.push_back(*std::max_element(depths.begin() + g, depths.begin() + std::min(depths.size(), g + kLanes)));
}

void Predictor::predict_raw(const float* row, double* out) const {
  for (int k = 0; k < outputs_; ++k) out[k] = base_score_[k];
  const Node* nodes = nodes_.data();
  const std::size_t trees = roots_.size();
  for (std::size_t g = 0; g * kLanes < trees; ++g) {
    const std::size_t first = g * kLanes, lanes = std::min<std::size_t>(kLanes, trees - first);
    std::int32_t at[kLanes];
    for (std::size_t l = 0; l < kLanes; ++l) at[l] = roots_[first + std::min(l, lanes - 1)];
    for (int step = 0; step < group_depth_[g]; ++step)
      for (std::size_t l = 0; l < kLanes; ++l) {
        const Node& n = nodes[at[l]];
        const float v = row[n.feature];
        // NaN fails both comparisons: go right unless the default is left.
        const int right = int(!(v <= n.threshold)) & ~(int(v != v) & n.default_left);
        at[l] = n.left + right;
      }
    for (std::size_t l = 0; l < lanes; ++l) out[(first + l) % outputs_] += values_[at[l]];
  }
}

void Predictor::predict_proba(const float* row, float* out) const {
  double raw[1024];
  double* z = outputs_ <= 1024 ? raw : nullptr;
  std::vector<double> big;
  if (!z) big.resize(outputs_), z = big.data();
  predict_raw(row, z);
  if (!softmax_) {
    out[0] = float(1.0 / (1.0 + std::exp(-z[0])));
    return;
  }
  double top = z[0], sum = 0;
  for (int k = 1; k < outputs_; ++k) top = std::max(top, z[k]);
  for (int k = 0; k < outputs_; ++k) sum += std::exp(z[k] - top);
  for (int k = 0; k < outputs_; ++k) out[k] = float(std::exp(z[k] - top) / sum);
}

std::vector<float> Predictor::predict_batch(std::span<const float> features, std::size_t rows, int threads) const {
  require(features.size() == rows * std::size_t(num_features_), ErrorKind::kInvalidArgument, "predict",
          "expected " + std::to_string(rows) + " x " + std::to_string(num_features_) + " features, got " +
              std::to_string(features.size()) + " values");
  std::vector<float> out(rows * outputs_);
  par::Arena arena(threads > 0 ? threads : 0);
  arena.execute([&] {
    par::for_each_range(0, rows, 256, [&](std::size_t r_begin, std::size_t r_end) {
      for (std::size_t i = r_begin; i < r_end; ++i)
        predict_proba(features.data() + i * num_features_, out.data() + i * outputs_);
    });
  });
  return out;
}

}  // namespace aoi::gbdt
