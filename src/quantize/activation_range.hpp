// The distribution of one layer's non-negative input over the calibration
// images, as a histogram whose range doubles (merging bins pairwise) when a
// larger value arrives, and the u8 step chosen from it: the clipping point
// that minimises the expected squared error of quantizing those values
// (rounding error below it, clipping error above), over 255 steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aoi::quantize {

class ActivationRange {
 public:
  static constexpr int kBins = 2048;
  ActivationRange() : bins_(kBins, 0) {}
  void add(const float* values, std::size_t count);  // negatives count as 0 (ReLU outputs have none)
  std::uint64_t values() const { return values_; }
  float max() const { return max_; }
  // The step (clip / 255); 1 when nothing but zeros was seen.
  float step() const;

 private:
  std::vector<std::uint64_t> bins_;  // bin i: (i, i + 1] x top_ / kBins
  double top_ = 0;
  float max_ = 0;
  std::uint64_t values_ = 0, zeros_ = 0;
};

}  // namespace aoi::quantize
