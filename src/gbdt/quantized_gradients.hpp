// Quantized gradients (grad_quant_bins > 0): each row's gradient and hessian
// are rounded stochastically to a few integer levels and packed, with a row
// count of 1, into one 64-bit integer. A histogram bin is then one integer
// add instead of three double adds, a third of the bytes to clear, subtract
// and scan, and its sums are exact, so subtraction and thread order never
// round. Splits are chosen on these sums; leaf values are still computed
// from the exact gradients (tree_learner.hpp). The idea is LightGBM's
// use_quantized_grad (Shi et al., "Quantized Training of Gradient Boosting
// Decision Trees", 2022).
#pragma once

#include <cstddef>
#include <cstdint>

namespace aoi::gbdt::detail {

// Layout of a packed sum: gradient levels in the top 24 bits (signed), hessian
// levels in the next 20, the row count in the low 20. Sums of packed values
// are the packed sums while the hessian and count sums stay below 2^20, which
// train() guarantees by limiting rows x levels (max_quantized_rows).
namespace packed {
constexpr int kCountBits = 20, kHessianBits = 20, kGradientShift = kCountBits + kHessianBits;
constexpr std::int64_t kFieldMask = (std::int64_t(1) << 20) - 1;
constexpr std::int64_t pack(int g, int h) {
  return std::int64_t(g) * (std::int64_t(1) << kGradientShift) + std::int64_t(h) * (std::int64_t(1) << kCountBits) + 1;
}
constexpr std::int64_t count(std::int64_t v) { return v & kFieldMask; }
constexpr std::int64_t hessian(std::int64_t v) { return (v >> kCountBits) & kFieldMask; }
constexpr std::int64_t gradient(std::int64_t v) { return v >> kGradientShift; }  // arithmetic: floor
}  // namespace packed

// What one level is worth: a packed sum's gradient is gradient(v) * g.
struct GradientScale {
  double g = 1, h = 1;
};

// The most rows a data set may have for `levels` (hessian sums reach rows x levels).
constexpr std::size_t max_quantized_rows(int levels) { return std::size_t(packed::kFieldMask) / std::size_t(levels); }

// Rounds g[i] to an integer number of steps max|g| / (levels / 2) and h[i] to
// steps max|h| / levels (h >= 0), each up or down at random with the
// probability that makes the expected value exact, and writes pack(.,.) to
// out[i]. The random draws depend on (seed, i) alone, so the result does not
// depend on threads.
GradientScale quantize_gradients(const float* g, const float* h, std::size_t rows, int levels, std::uint64_t seed,
                                 std::int64_t* out);

}  // namespace aoi::gbdt::detail
