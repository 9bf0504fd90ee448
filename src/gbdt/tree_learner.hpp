// Grows one regression tree on gradients and hessians: histograms per leaf,
// leaf-wise (best-first) growth, the subtraction trick (build the smaller
// child's histogram, derive the larger from its parent).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gbdt/model.hpp"
#include "binning.hpp"
#include "split_search.hpp"
#include "quantized_gradients.hpp"

namespace aoi::gbdt::detail {

struct LearnerConfig {
  int num_leaves = 31, max_depth = -1;
  SplitRules rules;  // what a split must satisfy, and the regularisation
};

// Every data row's quantized gradient (quantized_gradients.hpp), when a tree
// is grown on them; q == nullptr: on the exact gradients.
struct QuantizedRows {
  const std::int64_t* q = nullptr;
  GradientScale scale;
};

class TreeLearner {
 public:
  TreeLearner(const BinnedData& data, const LearnerConfig& config);

  // Grows a tree on `rows` (ascending) using only features whose mask is set.
  // Leaf values are -G/(H + l2) (with L1 soft-thresholding) times `shrinkage`.
  // node_bins receives the bin of each split, for traversing binned rows.
  // With `quantized`, splits are searched on the quantized sums (integer
  // histograms) and leaf values still come from g and h.
  Tree grow(std::span<const std::uint32_t> rows, const float* g, const float* h, const std::vector<char>& feature_mask,
            double shrinkage, std::vector<int>& node_bins, const QuantizedRows& quantized = {});

 private:
  struct Leaf {
    std::size_t begin = 0, count = 0;
    double g = 0, h = 0;  // with quantized gradients: the quantized sums, scaled, until the leaf is final
    std::int64_t q = 0;   // the packed quantized sum
    int depth = 0;
    int slot = -1;            // histogram buffer
    int parent_node = -1;     // node whose child slot points at this leaf
    bool is_left = false;
    Split best;
  };

  // Builds `small`'s histogram and, when `large` is given, derives large's
  // from the parent histogram already in large's slot (parent - small); then
  // finds the best split of each. All three happen per group of features
  // while that group's bins are still in cache, in one parallel pass.
  void build_and_split(Leaf& small, Leaf* large, const float* g, const float* h);
  // Its body, on exact (HistBin) or packed (std::int64_t) histograms.
  template <class Bin>
  void build_and_split_as(Leaf& small, Leaf* large, Bin* small_hist, Bin* large_hist);
  // A leaf of fewer than sparse_rows_ rows keeps no histogram: it is searched
  // from its rows (best_thresholds_of_rows), and so are its children. With
  // few rows, zeroing, subtracting and scanning 2048 x 256 bins per leaf
  // costs more than the rows do. The rows' bins come from the row blocks
  // (one line per row for 64 features), cheaper while the binned matrix stays
  // in the last-level cache, so the limit is set by its size: 512 rows while
  // the binned matrix fits kCachedBinnedBytes (DeepPCB's 3,600 x 2048), 160
  // beyond (the synthetic 16,000 x 2048), each the best of its neighbours in
  // A/B runs of bench/ab_gbdt_train.sh (docs/gbdt.md, "Tuning constants").
  static constexpr std::size_t kSparseRowsCached = 512, kSparseRowsUncached = 160;
  static constexpr std::size_t kCachedBinnedBytes = std::size_t(16) << 20;
  void search_rows(Leaf& leaf, const float* g, const float* h);
  void gather_gradients(const Leaf& leaf, const float* g, const float* h);
  bool may_split(const Leaf& leaf) const;
  void set_quantized_sums(Leaf& leaf) const;  // g and h from q
  Split reduce(const std::vector<Split>& per_feature) const;
  int acquire_slot();
  double leaf_output(double g, double h) const;

  const BinnedData& data_;
  LearnerConfig config_;
  std::size_t sparse_rows_;
  std::vector<std::vector<HistBin>> slots_;
  std::vector<std::vector<std::int64_t>> packed_slots_;  // the same slots, for quantized sums
  QuantizedRows quantized_;  // of the tree being grown
  std::vector<int> free_slots_;
  std::vector<std::uint32_t> index_, scratch_;
  std::vector<int> active_features_;
  std::vector<float> leaf_g_, leaf_h_;
  std::vector<std::int64_t> leaf_q_;
  std::vector<Split> small_splits_, large_splits_;
  bool identity_rows_ = false;  // the root holds every row in order: no index needed
};

}  // namespace aoi::gbdt::detail
