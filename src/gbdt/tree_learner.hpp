// Grows one regression tree on gradients and hessians: histograms per leaf,
// leaf-wise (best-first) growth, the subtraction trick (build the smaller
// child's histogram, derive the larger from its parent).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aoi/gbdt/model.hpp"
#include "binning.hpp"

namespace aoi::gbdt::detail {

struct LearnerConfig {
  int num_leaves = 31, max_depth = -1, min_data_in_leaf = 20;
  double min_sum_hessian = 1e-3, min_gain = 0, lambda_l1 = 0, lambda_l2 = 0;
};

// Sums of one bin. The count is a double (exact below 2^53) so that split
// finding reads three doubles with no conversion.
struct HistBin {
  double g = 0, h = 0, count = 0;
};

struct Split {
  double gain = 0;
  int feature = -1, bin = 0;
  bool default_left = false;
  double left_g = 0, left_h = 0;
  std::uint32_t left_count = 0;
  bool valid() const { return feature >= 0; }
};

class TreeLearner {
 public:
  TreeLearner(const BinnedData& data, const LearnerConfig& config);

  // Grows a tree on `rows` (ascending) using only features whose mask is set.
  // Leaf values are -G/(H + l2) (with L1 soft-thresholding) times `shrinkage`.
  // node_bins receives the bin of each split, for traversing binned rows.
  Tree grow(std::span<const std::uint32_t> rows, const float* g, const float* h, const std::vector<char>& feature_mask,
            double shrinkage, std::vector<int>& node_bins);

  // The best split of one feature's histogram (exposed for tests).
  Split best_split_of_feature(int feature, const HistBin* hist, double g, double h, std::uint32_t count) const;

 private:
  struct Leaf {
    std::size_t begin = 0, count = 0;
    double g = 0, h = 0;
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
  bool may_split(const Leaf& leaf) const;
  Split reduce(const std::vector<Split>& per_feature) const;
  int acquire_slot();
  double leaf_output(double g, double h) const;

  const BinnedData& data_;
  LearnerConfig config_;
  std::vector<std::vector<HistBin>> slots_;
  std::vector<int> free_slots_;
  std::vector<std::uint32_t> index_, scratch_;
  std::vector<int> active_features_;
  std::vector<float> leaf_g_, leaf_h_;
  std::vector<Split> small_splits_, large_splits_;
  bool identity_rows_ = false;  // the root holds every row in order: no index needed
};

}  // namespace aoi::gbdt::detail
