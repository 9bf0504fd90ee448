#include "tree_learner.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

namespace aoi::gbdt::detail {

TreeLearner::TreeLearner(const BinnedData& data, const LearnerConfig& config)
    : data_(data),
      config_(config),
      sparse_rows_(data.bins.size() <= kCachedBinnedBytes ? kSparseRowsCached : kSparseRowsUncached) {}

double TreeLearner::leaf_output(double g, double h) const {
  return -soft_threshold(g, config_.rules.lambda_l1) / std::max(h + config_.rules.lambda_l2, 1e-15);
}

int TreeLearner::acquire_slot() {
  if (!free_slots_.empty()) {
    const int s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  if (quantized_.q) {
    packed_slots_.emplace_back(data_.hist_offset.back());
    return int(packed_slots_.size()) - 1;
  }
  slots_.emplace_back(data_.hist_offset.back());
  return int(slots_.size()) - 1;
}

void TreeLearner::build_and_split(Leaf& small, Leaf* large, const float* g, const float* h) {
  gather_gradients(small, g, h);
  if (quantized_.q)
    build_and_split_as(small, large, small.slot >= 0 ? packed_slots_[small.slot].data() : nullptr,
                       large ? packed_slots_[large->slot].data() : nullptr);
  else
    build_and_split_as(small, large, small.slot >= 0 ? slots_[small.slot].data() : nullptr,
                       large ? slots_[large->slot].data() : nullptr);
}

template <class Bin>
void TreeLearner::build_and_split_as(Leaf& small, Leaf* large, Bin* small_hist, Bin* large_hist) {
  constexpr bool kPacked = std::is_same_v<Bin, std::int64_t>;
  const std::uint32_t* rows = index_.data() + small.begin;
  const bool identity = identity_rows_ && small.begin == 0 && small.count == data_.rows;
  const bool split_small = may_split(small), split_large = large && may_split(*large);
  small_splits_.assign(active_features_.size(), Split{});
  large_splits_.assign(large ? active_features_.size() : 0, Split{});
  auto search = [&](int f, const Bin* hist, const Leaf& leaf) {
    if constexpr (kPacked)
      return best_threshold_packed(f, hist, data_.features[f].bins, leaf.q, quantized_.scale, config_.rules);
    else
      return best_threshold(f, hist, data_.features[f].bins, {leaf.g, leaf.h, double(leaf.count)}, config_.rules);
  };

  // Eight features per pass over the rows: each row's index and gradients are
  // loaded once for eight histograms, and the eight updates are independent
  // (against four: faster over 50 rounds, within the noise over 200; sixteen
  // gained nothing more; A/B procedure in docs/gbdt.md).
  constexpr std::size_t kGroup = 8;
  const std::size_t groups = (active_features_.size() + kGroup - 1) / kGroup;
  par::for_each_range(0, groups, 1, [&](std::size_t range_begin, std::size_t range_end) {
    // Without a slot (small_hist null), the group's histograms live here.
    thread_local std::vector<Bin> group_buffer;
    if (!small_hist && group_buffer.empty()) group_buffer.resize(kGroup * 256);
    for (std::size_t grp = range_begin; grp < range_end; ++grp) {
      const std::size_t a0 = grp * kGroup, a1 = std::min(a0 + kGroup, active_features_.size());
      const std::uint8_t* col[kGroup];
      Bin* hist[kGroup];
      for (std::size_t k = 0; k < kGroup; ++k) {
        const int f = active_features_[std::min(a0 + k, a1 - 1)];  // a short group repeats its last feature
        col[k] = data_.column(f);
        hist[k] = small_hist ? small_hist + data_.hist_offset[f] : group_buffer.data() + k * 256;
        const std::size_t bins = data_.features[f].bins + 1;
        if constexpr (!kPacked) {
          if (identity) {  // the counts are the data's
            const double* counts = data_.features[f].rows_per_bin.data();
            for (std::size_t b = 0; b < bins; ++b) hist[k][b] = HistBin{0, 0, counts[b]};
            continue;
          }
        }
        std::fill(hist[k], hist[k] + bins, Bin{});
      }
      // Adds the leaf's i-th row, in `bin` of feature k, to k's histogram;
      // add_sums leaves an exact histogram's count alone (a root's counts are
      // filled in from the binning, so its rows cost one update, not two). A
      // packed value is one add, its count included.
      auto add_sums = [&](std::size_t k, int bin, std::size_t i) {
        if constexpr (kPacked) {
          hist[k][bin] += leaf_q_[i];
        } else {
          HistBin& b = hist[k][bin];
          b.g += leaf_g_[i], b.h += leaf_h_[i];
        }
      };
      auto add = [&](std::size_t k, int bin, std::size_t i) {
        add_sums(k, bin, i);
        if constexpr (!kPacked) hist[k][bin].count += 1.0;
      };
      const std::size_t used = a1 - a0;
      if (identity) {
        if (used == kGroup) {
          for (std::size_t i = 0; i < small.count; ++i)
            for (std::size_t k = 0; k < kGroup; ++k) add_sums(k, col[k][i], i);
        } else {
          for (std::size_t k = 0; k < used; ++k)
            for (std::size_t i = 0; i < small.count; ++i) add_sums(k, col[k][i], i);
        }
      } else if (used == kGroup) {
        // The leaf's rows are scattered: their bins come from the row blocks
        // (the eight groups of a block reuse its lines), fetched a few rows
        // ahead, beyond what the hardware prefetcher predicts.
        const std::uint8_t* block[kGroup];
        for (std::size_t k = 0; k < kGroup; ++k) block[k] = data_.row_block_column(active_features_[a0 + k]);
        constexpr std::size_t kAhead = 24, kStride = BinnedData::kRowBlock;
        for (std::size_t i = 0; i < small.count; ++i) {
          const std::size_t at = rows[i] * kStride, ahead = rows[std::min(i + kAhead, small.count - 1)] * kStride;
          // A group's bins of a row share one line, or two when the group
          // straddles blocks.
          __builtin_prefetch(block[0] + ahead), __builtin_prefetch(block[kGroup - 1] + ahead);
          for (std::size_t k = 0; k < kGroup; ++k) add(k, block[k][at], i);
        }
      } else {
        for (std::size_t k = 0; k < used; ++k)
          for (std::size_t i = 0; i < small.count; ++i) add(k, col[k][rows[i]], i);
      }
      for (std::size_t a = a0; a < a1; ++a) {
        const int f = active_features_[a];
        const Bin* small_f = hist[a - a0];
        Bin* large_f = large ? large_hist + data_.hist_offset[f] : nullptr;
        const std::size_t bins = data_.features[f].bins + 1;
        if (large) {
          if constexpr (kPacked) {
            for (std::size_t b = 0; b < bins; ++b) large_f[b] -= small_f[b];
          } else {
            for (std::size_t b = 0; b < bins; ++b)
              large_f[b].g -= small_f[b].g, large_f[b].h -= small_f[b].h, large_f[b].count -= small_f[b].count;
          }
        }
        if (split_small) small_splits_[a] = search(f, small_f, small);
        if (split_large) large_splits_[a] = search(f, large_f, *large);
      }
    }
  });
  small.best = reduce(small_splits_);
  if (large) large->best = reduce(large_splits_);
}

// The leaf's gradients once, in partition order, so that every feature's
// pass streams through them.
void TreeLearner::gather_gradients(const Leaf& leaf, const float* g, const float* h) {
  const std::uint32_t* rows = index_.data() + leaf.begin;
  if (quantized_.q) {
    leaf_q_.resize(leaf.count);
    for (std::size_t i = 0; i < leaf.count; ++i) leaf_q_[i] = quantized_.q[rows[i]];
    return;
  }
  leaf_g_.resize(leaf.count), leaf_h_.resize(leaf.count);
  for (std::size_t i = 0; i < leaf.count; ++i) leaf_g_[i] = g[rows[i]], leaf_h_[i] = h[rows[i]];
}

void TreeLearner::search_rows(Leaf& leaf, const float* g, const float* h) {
  leaf.best = Split{};
  if (!may_split(leaf)) return;
  gather_gradients(leaf, g, h);
  const std::uint32_t* rows = index_.data() + leaf.begin;
  small_splits_.assign(active_features_.size(), Split{});  // the per-feature results, as for a histogram search
  const LeafSums sums{leaf.g, leaf.h, double(leaf.count)};
  const std::size_t groups = (active_features_.size() + kRowGroup - 1) / kRowGroup;
  par::for_each_range(0, groups, 4, [&](std::size_t range_begin, std::size_t range_end) {
    for (std::size_t grp = range_begin; grp < range_end; ++grp) {
      const std::size_t a0 = grp * kRowGroup, a1 = std::min(a0 + kRowGroup, active_features_.size());
      RowFeature features[kRowGroup];
      for (std::size_t a = a0; a < a1; ++a) {
        const int f = active_features_[a];
        features[a - a0] = {f, data_.row_block_column(f), data_.features[f].bins};
      }
      if (quantized_.q) {
        thread_local PackedScratch scratch;
        best_thresholds_of_rows_packed(features, int(a1 - a0), BinnedData::kRowBlock, rows, leaf_q_.data(),
                                       leaf.count, leaf.q, quantized_.scale, config_.rules, scratch,
                                       small_splits_.data() + a0);
      } else {
        thread_local SparseScratch scratch;
        best_thresholds_of_rows(features, int(a1 - a0), BinnedData::kRowBlock, rows, leaf_g_.data(), leaf_h_.data(),
                                leaf.count, sums, config_.rules, scratch, small_splits_.data() + a0);
      }
    }
  });
  leaf.best = reduce(small_splits_);
}

void TreeLearner::set_quantized_sums(Leaf& leaf) const {
  leaf.g = double(packed::gradient(leaf.q)) * quantized_.scale.g;
  leaf.h = double(packed::hessian(leaf.q)) * quantized_.scale.h;
}

bool TreeLearner::may_split(const Leaf& leaf) const {
  if (config_.max_depth > 0 && leaf.depth >= config_.max_depth) return false;
  // Both sides of a split need min_data rows and min_sum_hessian of hessian,
  // so a leaf with less than twice either has no split: no search. Late in
  // training, when the model is confident, hessians are small and most
  // leaves of a small data set end here. (The slack keeps a leaf whose sum
  // rounds just below the bound.)
  const double min_h = config_.rules.min_sum_hessian;
  return double(leaf.count) >= 2 * config_.rules.min_data && leaf.h >= 2 * min_h - 1e-9 * (1 + leaf.h);
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
                       const std::vector<char>& feature_mask, double shrinkage, std::vector<int>& node_bins,
                       const QuantizedRows& quantized) {
  if (bool(quantized.q) != bool(quantized_.q)) slots_.clear(), packed_slots_.clear();  // slots of the other kind
  quantized_ = quantized;
  active_features_.clear();
  for (std::size_t f = 0; f < data_.cols; ++f)
    if (feature_mask[f] && data_.features[f].usable) active_features_.push_back(int(f));
  index_.assign(rows.begin(), rows.end());
  identity_rows_ = rows.size() == data_.rows;  // rows are ascending and unique, so this means 0..n-1
  scratch_.resize(index_.size());
  free_slots_.clear();
  for (int s = 0; s < int(quantized_.q ? packed_slots_.size() : slots_.size()); ++s) free_slots_.push_back(s);
  node_bins.clear();

  std::vector<Leaf> leaves(1);
  Leaf& root = leaves[0];
  root.count = index_.size();
  if (quantized_.q) {
    for (auto r : index_) root.q += quantized_.q[r];
    set_quantized_sums(root);
  } else {
    for (auto r : index_) root.g += g[r], root.h += h[r];
  }
  if (root.count < sparse_rows_) {
    search_rows(root, g, h);
  } else {
    root.slot = acquire_slot();
    build_and_split(root, nullptr, g, h);
  }

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
    if (quantized_.q) {
      left.q = s.left_q, right.q = parent.q - s.left_q;
      set_quantized_sums(left), set_quantized_sums(right);
    } else {
      left.g = s.left_g, left.h = s.left_h;
      right.g = parent.g - s.left_g, right.h = parent.h - s.left_h;
    }
    left.depth = right.depth = parent.depth + 1;
    left.parent_node = right.parent_node = node;
    left.is_left = true, right.is_left = false;

    // Histogram of the smaller child; the larger one is parent minus smaller,
    // computed in the parent's buffer. Children of few rows are searched from
    // their rows instead, and keep no histogram.
    Leaf& small = nl <= nr ? left : right;
    Leaf& large = nl <= nr ? right : left;
    if (parent.slot >= 0 && large.count >= sparse_rows_) {
      // A small child below sparse_rows_ keeps no histogram: it is built
      // group by group in a thread's cache-sized buffer instead of a slot.
      small.slot = small.count >= sparse_rows_ ? acquire_slot() : -1;
      build_and_split(small, &large, g, h);
    } else {
      if (parent.slot >= 0) free_slots_.push_back(parent.slot);
      small.slot = large.slot = -1;
      search_rows(small, g, h);
      search_rows(large, g, h);
    }
    leaves[pick] = left;
    leaves.push_back(right);
  }
  if (quantized_.q)  // leaf values from the exact gradients of each leaf's rows
    for (Leaf& leaf : leaves) {
      leaf.g = leaf.h = 0;
      for (std::size_t i = leaf.begin; i < leaf.begin + leaf.count; ++i) leaf.g += g[index_[i]], leaf.h += h[index_[i]];
    }
  tree.leaf_value.resize(leaves.size());
  for (std::size_t i = 0; i < leaves.size(); ++i) tree.leaf_value[i] = shrinkage * leaf_output(leaves[i].g, leaves[i].h);
  return tree;
}

}  // namespace aoi::gbdt::detail
