#include "tree_learner.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace aoi::gbdt::detail {

TreeLearner::TreeLearner(const BinnedData& data, const LearnerConfig& config) : data_(data), config_(config) {}

// L1 regularisation shrinks a gradient sum towards zero by lambda_l1.
static double soft_threshold(double g, double l1) { return l1 > 0 ? std::copysign(std::max(std::fabs(g) - l1, 0.0), g) : g; }

double TreeLearner::leaf_output(double g, double h) const {
  return -soft_threshold(g, config_.lambda_l1) / std::max(h + config_.lambda_l2, 1e-15);
}

int TreeLearner::acquire_slot() {
  if (!free_slots_.empty()) {
    const int s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back(data_.hist_offset.back());
  return int(slots_.size()) - 1;
}

void TreeLearner::build_and_split(Leaf& small, Leaf* large, const float* g, const float* h) {
  // Gather the leaf's gradients once, in partition order, so every feature
  // pass streams through them.
  const std::uint32_t* rows = index_.data() + small.begin;
  const bool identity = identity_rows_ && small.begin == 0 && small.count == data_.rows;
  leaf_g_.resize(small.count), leaf_h_.resize(small.count);
  for (std::size_t i = 0; i < small.count; ++i) leaf_g_[i] = g[rows[i]], leaf_h_[i] = h[rows[i]];
  const bool split_small = may_split(small), split_large = large && may_split(*large);
  small_splits_.assign(active_features_.size(), Split{});
  large_splits_.assign(large ? active_features_.size() : 0, Split{});
  HistBin* small_hist = slots_[small.slot].data();
  HistBin* large_hist = large ? slots_[large->slot].data() : nullptr;

  // Four features per pass over the rows: each row's index and gradients are
  // loaded once for four histograms, and the four updates are independent.
  constexpr std::size_t kGroup = 4;
  const std::size_t groups = (active_features_.size() + kGroup - 1) / kGroup;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, groups, 1), [&](const auto& range) {
    for (std::size_t grp = range.begin(); grp < range.end(); ++grp) {
      const std::size_t a0 = grp * kGroup, a1 = std::min(a0 + kGroup, active_features_.size());
      const std::uint8_t* col[kGroup];
      HistBin* hist[kGroup];
      for (std::size_t k = 0; k < kGroup; ++k) {
        const int f = active_features_[std::min(a0 + k, a1 - 1)];  // a short group repeats its last feature
        col[k] = data_.column(f);
        hist[k] = small_hist + data_.hist_offset[f];
        std::fill(hist[k], hist[k] + data_.features[f].bins + 1, HistBin{});
      }
      const std::size_t used = a1 - a0;
      if (used == kGroup && identity) {
        for (std::size_t i = 0; i < small.count; ++i) {
          const double gi = leaf_g_[i], hi = leaf_h_[i];
          for (std::size_t k = 0; k < kGroup; ++k) {
            HistBin& b = hist[k][col[k][i]];
            b.g += gi, b.h += hi, b.count += 1.0;
          }
        }
      } else if (used == kGroup) {
        for (std::size_t i = 0; i < small.count; ++i) {
          const std::uint32_t r = rows[i];
          const double gi = leaf_g_[i], hi = leaf_h_[i];
          for (std::size_t k = 0; k < kGroup; ++k) {
            HistBin& b = hist[k][col[k][r]];
            b.g += gi, b.h += hi, b.count += 1.0;
          }
        }
      } else {
        for (std::size_t k = 0; k < used; ++k)
          for (std::size_t i = 0; i < small.count; ++i) {
            HistBin& b = hist[k][col[k][rows[i]]];
            b.g += leaf_g_[i], b.h += leaf_h_[i], b.count += 1.0;
          }
      }
      for (std::size_t a = a0; a < a1; ++a) {
        const int f = active_features_[a];
        const std::size_t begin = data_.hist_offset[f], end = data_.hist_offset[f + 1];
        if (large)
          for (std::size_t b = begin; b < end; ++b)
            large_hist[b].g -= small_hist[b].g, large_hist[b].h -= small_hist[b].h,
                large_hist[b].count -= small_hist[b].count;
        if (split_small)
          small_splits_[a] = best_split_of_feature(f, small_hist + begin, small.g, small.h, std::uint32_t(small.count));
        if (split_large)
          large_splits_[a] =
              best_split_of_feature(f, large_hist + begin, large->g, large->h, std::uint32_t(large->count));
      }
    }
  });
  small.best = reduce(small_splits_);
  if (large) large->best = reduce(large_splits_);
}

Split TreeLearner::best_split_of_feature(int f, const HistBin* hist, double g, double h, std::uint32_t count) const {
  const FeatureBins& fb = data_.features[f];
  const HistBin& missing = hist[fb.missing_bin()];
  const double l1 = config_.lambda_l1, l2 = config_.lambda_l2, min_h = config_.min_sum_hessian;
  const double min_n = config_.min_data_in_leaf;
  const double parent_g = soft_threshold(g, l1);
  const double parent = parent_g * parent_g / std::max(h + l2, 1e-15);
  const int n = fb.bins;
  const bool has_missing = missing.count > 0;

  // Prefix sums over value bins, then the gain of every threshold in two
  // straight loops the compiler vectorises: a = missing right, b = missing left.
  thread_local std::vector<double> lg, lh, lc, gain_a, gain_b;
  lg.resize(n), lh.resize(n), lc.resize(n), gain_a.resize(n), gain_b.resize(n);
  double sg = 0, sh = 0, sc = 0;
  for (int b = 0; b < n; ++b) {
    sg += hist[b].g, sh += hist[b].h, sc += hist[b].count;
    lg[b] = sg, lh[b] = sh, lc[b] = sc;
  }
  const double total_c = count, mg = missing.g, mh = missing.h, mc = missing.count;
  const double* pg = lg.data();
  const double* ph = lh.data();
  const double* pc = lc.data();
  double* ga = gain_a.data();
  double* gb = gain_b.data();
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  // Branch-free bodies (bitwise &, selects) so that they vectorise.
  const double soft = l1;
  auto gains = [&](double dg, double dh, double dc, double* out) {
    for (int b = 0; b < n; ++b) {
      const double c = pc[b] + dc, hh = ph[b] + dh;
      double gl = pg[b] + dg, gr = g - gl;
      const double rc = total_c - c, rh = h - hh;
      if (soft > 0) gl = soft_threshold(gl, soft), gr = soft_threshold(gr, soft);
      const double gain = gl * gl / (hh + l2) + gr * gr / (rh + l2) - parent;
      const bool ok = (c >= min_n) & (rc >= min_n) & (hh >= min_h) & (rh >= min_h) & (hh + l2 > 0) & (rh + l2 > 0);
      out[b] = ok ? gain : kNone;
    }
  };
  gains(0, 0, 0, ga);
  if (has_missing) gains(mg, mh, mc, gb);

  // Pick in a fixed order (threshold ascending, missing-right first); the
  // last threshold is a split only when it separates the missing values.
  // A vectorised max finds whether anything beats the floor, then a scan
  // finds the first threshold that reaches it.
  const int last_a = has_missing ? n : n - 1, last_b = has_missing ? n - 1 : 0;
  double top = config_.min_gain;
#pragma omp simd reduction(max : top)
  for (int b = 0; b < last_a; ++b) top = ga[b] > top ? ga[b] : top;
#pragma omp simd reduction(max : top)
  for (int b = 0; b < last_b; ++b) top = gb[b] > top ? gb[b] : top;
  Split best;
  best.gain = config_.min_gain;
  if (!(top > config_.min_gain)) return best;
  for (int b = 0; b < n; ++b) {
    if (b < last_a && ga[b] == top) {
      const bool default_left = !has_missing && pc[b] >= total_c - pc[b];  // NaNs later go to the larger side
      return {ga[b], f, b, default_left, pg[b], ph[b], std::uint32_t(pc[b])};
    }
    if (b < last_b && gb[b] == top) return {gb[b], f, b, true, pg[b] + mg, ph[b] + mh, std::uint32_t(pc[b] + mc)};
  }
  return best;
}

bool TreeLearner::may_split(const Leaf& leaf) const {
  if (config_.max_depth > 0 && leaf.depth >= config_.max_depth) return false;
  return leaf.count >= 2 * std::size_t(config_.min_data_in_leaf);
}

// Serial reduction in feature order: ties go to the lower feature index, so
// the result does not depend on how the work was split between threads.
Split TreeLearner::reduce(const std::vector<Split>& per_feature) const {
  Split best;
  for (const auto& s : per_feature)
    if (s.valid() && (!best.valid() || s.gain > best.gain)) best = s;
  return best;
}

Tree TreeLearner::grow(std::span<const std::uint32_t> rows, const float* g, const float* h,
                       const std::vector<char>& feature_mask, double shrinkage, std::vector<int>& node_bins) {
  active_features_.clear();
  for (std::size_t f = 0; f < data_.cols; ++f)
    if (feature_mask[f] && data_.features[f].usable) active_features_.push_back(int(f));
  index_.assign(rows.begin(), rows.end());
  identity_rows_ = rows.size() == data_.rows;  // rows are ascending and unique, so this means 0..n-1
  scratch_.resize(index_.size());
  free_slots_.clear();
  for (int s = 0; s < int(slots_.size()); ++s) free_slots_.push_back(s);
  node_bins.clear();

  std::vector<Leaf> leaves(1);
  Leaf& root = leaves[0];
  root.count = index_.size();
  for (auto r : index_) root.g += g[r], root.h += h[r];
  root.slot = acquire_slot();
  build_and_split(root, nullptr, g, h);

  Tree tree;
  while (int(leaves.size()) < config_.num_leaves) {
    int pick = -1;
    for (int i = 0; i < int(leaves.size()); ++i)
      if (leaves[i].best.valid() && (pick < 0 || leaves[i].best.gain > leaves[pick].best.gain)) pick = i;
    if (pick < 0) break;
    const Split s = leaves[pick].best;
    const FeatureBins& fb = data_.features[s.feature];

    // Stable partition of the leaf's rows: left rows first, order kept.
    const std::uint8_t* column = data_.column(s.feature);
    std::uint32_t* seg = index_.data() + leaves[pick].begin;
    std::size_t nl = 0, nr = 0;
    for (std::size_t i = 0; i < leaves[pick].count; ++i) {
      const int b = column[seg[i]];
      const bool go_left = b == fb.missing_bin() ? s.default_left : b <= s.bin;
      if (go_left) seg[nl++] = seg[i];
      else scratch_[nr++] = seg[i];
    }
    std::copy_n(scratch_.data(), nr, seg + nl);

    // The new internal node takes the leaf's place in the tree.
    const int node = int(tree.feature.size());
    tree.feature.push_back(s.feature);
    tree.threshold.push_back(fb.threshold(s.bin));
    tree.default_left.push_back(s.default_left);
    tree.gain.push_back(s.gain);
    node_bins.push_back(s.bin);
    const int right_id = int(leaves.size());
    tree.left.push_back(~pick);
    tree.right.push_back(~right_id);
    if (leaves[pick].parent_node >= 0)
      (leaves[pick].is_left ? tree.left : tree.right)[leaves[pick].parent_node] = node;

    Leaf parent = leaves[pick];
    Leaf left = parent, right = parent;
    left.count = nl, right.begin = parent.begin + nl, right.count = nr;
    left.g = s.left_g, left.h = s.left_h;
    right.g = parent.g - s.left_g, right.h = parent.h - s.left_h;
    left.depth = right.depth = parent.depth + 1;
    left.parent_node = right.parent_node = node;
    left.is_left = true, right.is_left = false;

    // Histogram of the smaller child; the larger one is parent minus smaller,
    // computed in the parent's buffer.
    Leaf& small = nl <= nr ? left : right;
    Leaf& large = nl <= nr ? right : left;
    large.slot = parent.slot;
    small.slot = acquire_slot();
    build_and_split(small, &large, g, h);
    leaves[pick] = left;
    leaves.push_back(right);
  }
  tree.leaf_value.resize(leaves.size());
  for (std::size_t i = 0; i < leaves.size(); ++i) tree.leaf_value[i] = shrinkage * leaf_output(leaves[i].g, leaves[i].h);
  return tree;
}

}  // namespace aoi::gbdt::detail
