#include "binning.hpp"
#include "core/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <limits>

namespace aoi::gbdt::detail {

int FeatureBins::bin_of(float v) const {
  if (std::isnan(v)) return missing_bin();
  // Branch-free lower_bound: the number of thresholds below v.
  if (upper.empty()) return 0;
  const float* base = upper.data();
  std::size_t n = upper.size();
  while (n > 1) {
    const std::size_t half = n / 2;
    base = base[half] < v ? base + half : base;
    n -= half;
  }
  return int(base - upper.data()) + (*base < v);
}

float FeatureBins::threshold(int b) const {
  return b < int(upper.size()) ? upper[b] : std::numeric_limits<float>::max();
}

// Three LSD radix passes of 11 bits: a few times faster than std::sort on the
// tens of thousands of values a feature's sample holds.
void sort_floats(std::vector<float>& values) {
  const std::size_t n = values.size();
  if (n < 256) return std::sort(values.begin(), values.end());
  // Order-preserving keys: negative floats reverse, positive ones get the sign bit.
  std::vector<std::uint32_t> keys(n), other(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    keys[i] = bits & 0x80000000u ? ~bits : bits | 0x80000000u;
  }
  constexpr int kBits = 11, kBuckets = 1 << kBits;
  std::vector<std::uint32_t> count(kBuckets);
  for (int shift = 0; shift < 32; shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (auto k : keys) ++count[(k >> shift) & (kBuckets - 1)];
    std::uint32_t sum = 0;
    for (auto& c : count) sum += std::exchange(c, sum);
    for (auto k : keys) other[count[(k >> shift) & (kBuckets - 1)]++] = k;
    keys.swap(other);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t k = keys[i], bits = k & 0x80000000u ? k & 0x7fffffffu : ~k;
    std::memcpy(&values[i], &bits, 4);
  }
}

namespace {

// A threshold strictly between a and b (a < b) that keeps a on the left.
float midpoint(float a, float b) {
  const float mid = float((double(a) + double(b)) / 2);
  return mid >= b ? a : mid;
}

FeatureBins make_bins(std::vector<float>& values, bool has_missing, int max_bin) {
  FeatureBins fb;
  fb.has_missing = has_missing;
  sort_floats(values);
  // Distinct values with their counts.
  std::vector<float> distinct;
  std::vector<std::size_t> counts;
  for (float v : values) {
    if (distinct.empty() || v != distinct.back()) distinct.push_back(v), counts.push_back(0);
    ++counts.back();
  }
  fb.usable = distinct.size() > 1 || (distinct.size() == 1 && has_missing);
  if (distinct.size() <= std::size_t(max_bin)) {
    for (std::size_t i = 1; i < distinct.size(); ++i) fb.upper.push_back(midpoint(distinct[i - 1], distinct[i]));
  } else {
    // Equal-frequency cuts, never inside a run of equal values.
    const double per_bin = double(values.size()) / max_bin;
    std::size_t seen = 0;
    for (std::size_t i = 0; i + 1 < distinct.size() && int(fb.upper.size()) < max_bin - 1; ++i) {
      seen += counts[i];
      if (seen >= per_bin * double(fb.upper.size() + 1)) fb.upper.push_back(midpoint(distinct[i], distinct[i + 1]));
    }
  }
  fb.bins = int(fb.upper.size()) + 1;
  return fb;
}

}  // namespace

BinnedData bin_features(const float* x, std::size_t rows, std::size_t cols, int max_bin, int sample_rows) {
  BinnedData d;
  d.rows = rows, d.cols = cols;
  d.features.resize(cols);
  d.bins.resize(rows * cols);
  const std::size_t sample = std::min<std::size_t>(rows, std::size_t(sample_rows));
  // Blocks of 16 features (one cache line of a row) are copied out column by
  // column first, so the row-major input is read sequentially.
  constexpr std::size_t kBlock = 16;
  par::for_each_index(0, int((cols + kBlock - 1) / kBlock), [&](int block_index) {
    const std::size_t block = std::size_t(block_index);
    const std::size_t f0 = block * kBlock, f1 = std::min(cols, f0 + kBlock);
    std::vector<float> columns((f1 - f0) * rows);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t f = f0; f < f1; ++f) columns[(f - f0) * rows + r] = x[r * cols + f];
    for (std::size_t f = f0; f < f1; ++f) {
      const float* column = columns.data() + (f - f0) * rows;
      std::vector<float> values;
      values.reserve(sample);
      bool missing = false;
      for (std::size_t s = 0; s < sample; ++s) {
        const float v = column[s * rows / sample];
        if (std::isnan(v)) missing = true;
        else values.push_back(v);
      }
      FeatureBins fb = make_bins(values, missing, max_bin);
      std::uint8_t* out = d.bins.data() + f * rows;
      fb.rows_per_bin.assign(std::size_t(fb.bins) + 1, 0.0);
      for (std::size_t r = 0; r < rows; ++r) {
        if (std::isnan(column[r])) fb.has_missing = fb.usable = true;  // rows outside the sample
        out[r] = std::uint8_t(fb.bin_of(column[r]));
        fb.rows_per_bin[out[r]] += 1.0;
      }
      d.features[f] = std::move(fb);
    }
  });
  const std::size_t blocks = (cols + BinnedData::kRowBlock - 1) / BinnedData::kRowBlock;
  d.row_blocks.assign(blocks * rows * BinnedData::kRowBlock, 0);
  par::for_each_index(0, int(blocks), [&](int block_index) {
    const std::size_t block = std::size_t(block_index);
    const std::size_t f0 = block * BinnedData::kRowBlock, f1 = std::min(cols, f0 + BinnedData::kRowBlock);
    std::uint8_t* out = d.row_blocks.data() + block * rows * BinnedData::kRowBlock;
    for (std::size_t f = f0; f < f1; ++f) {
      const std::uint8_t* in = d.column(f);
      for (std::size_t r = 0; r < rows; ++r) out[r * BinnedData::kRowBlock + (f - f0)] = in[r];
    }
  });
  d.hist_offset.resize(cols + 1);
  for (std::size_t f = 0; f < cols; ++f) d.hist_offset[f + 1] = d.hist_offset[f] + d.features[f].bins + 1;
  return d;
}

}  // namespace aoi::gbdt::detail
