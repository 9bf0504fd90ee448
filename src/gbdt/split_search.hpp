// The best threshold of one feature for a leaf, from the leaf's histogram or
// from its rows: the search every leaf runs over every feature, so one of the
// trainer's two hot loops (building histograms is the other).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "quantized_gradients.hpp"

namespace aoi::gbdt::detail {

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
  std::int64_t left_q = 0;  // the left side's packed sum, in a search of quantized sums
  bool valid() const { return feature >= 0; }
};

// L1 regularisation shrinks a gradient sum towards zero by l1 (the
// numerator of every gain, and of a leaf's value).
inline double soft_threshold(double g, double l1) {
  return l1 > 0 ? std::copysign(std::max(std::fabs(g) - l1, 0.0), g) : g;
}

struct SplitRules {
  double lambda_l1 = 0, lambda_l2 = 0, min_sum_hessian = 1e-3, min_data = 20, min_gain = 0;
};

// The leaf's sums over all of its rows.
struct LeafSums {
  double g = 0, h = 0, count = 0;
};

// Searches thresholds "bin <= b" over `bins` value bins; hist[bins] holds the
// missing values, which go right or left, whichever gains more (right wins a
// tie). Returns the split with the largest gain above rules.min_gain, ties to
// the lowest bin, or an invalid split. `feature` is copied into the result.
Split best_threshold(int feature, const HistBin* hist, int bins, const LeafSums& leaf, const SplitRules& rules);

// Features searched together from a leaf's rows: each row's index and
// gradients are loaded once for all of them, and their sums are independent
// chains (one feature alone waits on its most common bin).
constexpr int kRowGroup = 8;

// A bin of the search from rows: its sums and a zero, so that one 32-byte
// vector add updates it (one store per row and feature, not two).
struct alignas(32) RowBin {
  double g, h, count, zero;
};

// Working memory of the searches from rows: histograms and bin-in-use marks
// that are all zero between calls (a call clears only what it touched). One
// per thread.
struct SparseScratch {
  RowBin bins[kRowGroup][256] = {};
  std::uint8_t used[kRowGroup][256] = {};  // read 64 at a time
};

struct RowFeature {
  int feature = 0;
  const std::uint8_t* column = nullptr;  // the feature's bin of data row r is column[r * stride]
  int bins = 1;                          // value bins, <= 255; bin `bins` holds missing values
};

// The search of best_threshold for a leaf of few rows, from the rows
// themselves: their bins are summed into the scratch, in row order as a
// histogram build would, and only the bins in use are visited, so the cost
// follows the rows, not the 256 bins. Gives the split best_threshold gives on
// the leaf's histogram (up to rounding in equal-gain ties). g and h are the
// leaf's gradients in the order of `rows`. Searches up to kRowGroup features
// in one pass; out receives one split per feature. Every feature's bins are
// `stride` bytes apart (1 in columns, BinnedData::kRowBlock in row blocks).
void best_thresholds_of_rows(const RowFeature* features, int feature_count, std::size_t stride,
                             const std::uint32_t* rows, const float* g, const float* h, std::size_t count,
                             const LeafSums& leaf, const SplitRules& rules, SparseScratch& scratch, Split* out);

// The same two searches on quantized sums (quantized_gradients.hpp): hist
// and the scratch hold packed sums, q[i] is the packed gradient of the i-th
// of `rows`, and `leaf` is the leaf's packed total. The thresholds are
// judged on the sums times `scale`, exactly as best_threshold judges a
// histogram of those scaled sums; the split also gives its left side's
// packed sum (left_q).
Split best_threshold_packed(int feature, const std::int64_t* hist, int bins, std::int64_t leaf, GradientScale scale,
                            const SplitRules& rules);

struct PackedScratch {
  std::int64_t bins[kRowGroup][256] = {};
  std::uint8_t used[kRowGroup][256] = {};
};

void best_thresholds_of_rows_packed(const RowFeature* features, int feature_count, std::size_t stride,
                                    const std::uint32_t* rows, const std::int64_t* q, std::size_t count,
                                    std::int64_t leaf, GradientScale scale, const SplitRules& rules,
                                    PackedScratch& scratch, Split* out);

// The same search written as plainly as possible: one threshold at a time,
// two divisions each. The reference the fast search is tested against.
Split best_threshold_reference(int feature, const HistBin* hist, int bins, const LeafSums& leaf,
                               const SplitRules& rules);

}  // namespace aoi::gbdt::detail
