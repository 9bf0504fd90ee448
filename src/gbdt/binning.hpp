// Quantile binning of dense float features into 8-bit bins, feature-major.
// Value bins are 0..bins-1; NaN goes to the extra bin `bins` of its feature.
#pragma once

#include <cstdint>
#include <vector>

namespace aoi::gbdt::detail {

struct FeatureBins {
  std::vector<float> upper;  // bins-1 thresholds: value v is in bin b iff upper[b-1] < v <= upper[b]
  int bins = 1;              // value bins
  bool has_missing = false;
  bool usable = false;       // false for constant features: never split on
  // Rows of the data in each bin (value bins, then the missing bin): the
  // counts of any histogram over every row, so a root that holds all rows
  // takes them from here instead of counting in every round.
  std::vector<double> rows_per_bin;

  int bin_of(float v) const;
  int missing_bin() const { return bins; }
  // The threshold a split "bin <= b" means on raw values.
  float threshold(int b) const;
};

struct BinnedData {
  std::size_t rows = 0, cols = 0;
  std::vector<FeatureBins> features;
  std::vector<std::uint8_t> bins;  // cols x rows
  std::vector<std::size_t> hist_offset;  // start of each feature in a histogram; last = total bins
  const std::uint8_t* column(std::size_t f) const { return bins.data() + f * rows; }
  // The same bins again, by blocks of kRowBlock features, row-major within a
  // block: the search of a leaf of few rows reads one line per row for 64
  // features, where the columns give one line per row and feature (most of
  // it other rows'). One more byte per value, kept on A/B runs (docs/gbdt.md).
  static constexpr std::size_t kRowBlock = 64;
  std::vector<std::uint8_t> row_blocks;  // (cols / kRowBlock, rounded up) x rows x kRowBlock
  const std::uint8_t* row_block_column(std::size_t f) const {
    return row_blocks.data() + (f / kRowBlock) * rows * kRowBlock + f % kRowBlock;
  }
};

// Sorts values that hold no NaN in ascending order (-0 and +0 are equal and
// may come in either order); binning sorts one sample per feature.
void sort_floats(std::vector<float>& values);

// Bins every feature (in parallel, deterministic) from up to sample_rows rows
// spread evenly over the data.
BinnedData bin_features(const float* x, std::size_t rows, std::size_t cols, int max_bin, int sample_rows);

}  // namespace aoi::gbdt::detail
