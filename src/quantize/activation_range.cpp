#include "quantize/activation_range.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aoi::quantize {

void ActivationRange::add(const float* v, std::size_t n) {
  float hi = 0;
  for (std::size_t i = 0; i < n; ++i) hi = std::max(hi, v[i]);
  values_ += n;
  if (!(hi > 0)) {
    zeros_ += n;
    return;
  }
  max_ = std::max(max_, hi);
  if (top_ == 0) top_ = hi;
  while (hi > top_) {  // double the range: bin pairs merge exactly
    for (int i = 0; i < kBins / 2; ++i) bins_[i] = bins_[2 * i] + bins_[2 * i + 1];
    std::fill(bins_.begin() + kBins / 2, bins_.end(), 0);
    top_ *= 2;
  }
  const double scale = kBins / top_;
  for (std::size_t i = 0; i < n; ++i) {
    if (!(v[i] > 0)) {
      ++zeros_;
      continue;
    }
    ++bins_[std::min(kBins - 1, int(v[i] * scale))];
  }
}

float ActivationRange::step() const {
  if (top_ == 0) return 1.0f;
  const double width = top_ / kBins;
  // Candidate clips at bin edges from 1/64 of the range up; each bin's
  // values taken at its centre. Below the clip a value is off by the
  // rounding error (step^2 / 12 on average; exact zeros are excluded), above
  // it by its distance to the clip.
  // The clip at edge e leaves bins below e under it and clips the bins from
  // e on: sums over those bins (count, sum of centres, of their squares)
  // give the clipping error of any e at once, so the search is one pass.
  int last = kBins - 1;
  while (last > 0 && bins_[last] == 0) --last;
  std::vector<double> n(last + 2, 0.0), c(last + 2, 0.0), c2(last + 2, 0.0);  // from bin i on
  for (int i = last; i >= 0; --i) {
    const double count = double(bins_[i]), centre = (i + 0.5) * width;
    n[i] = n[i + 1] + count, c[i] = c[i + 1] + count * centre, c2[i] = c2[i + 1] + count * centre * centre;
  }
  double best_error = std::numeric_limits<double>::infinity(), best_clip = top_;
  for (int edge = kBins / 64; edge <= last + 1; ++edge) {
    const double clip = edge * width, step = clip / 255;
    const double clipped = c2[edge] - 2 * clip * c[edge] + clip * clip * n[edge];
    const double error = (n[0] - n[edge]) * step * step / 12 + clipped;
    if (error < best_error) best_error = error, best_clip = clip;
  }
  return float(best_clip / 255);
}

}  // namespace aoi::quantize
