#include "quantized_gradients.hpp"

#include <algorithm>
#include <cmath>

#include "core/splitmix64.hpp"

namespace aoi::gbdt::detail {
namespace {

double unit(std::uint64_t bits) { return double(bits >> 11) * 0x1.0p-53; }  // [0, 1)

// x >= 0 in steps: floor(x + u), at most `top`.
int round_stochastic(double x, double u, int top) { return std::min(top, int(std::floor(x + u))); }

}  // namespace

GradientScale quantize_gradients(const float* g, const float* h, std::size_t rows, int levels, std::uint64_t seed,
                                 std::int64_t* out) {
  double max_g = 0, max_h = 0;
  for (std::size_t i = 0; i < rows; ++i) max_g = std::max(max_g, double(std::fabs(g[i]))), max_h = std::max(max_h, double(h[i]));
  const int half = std::max(1, levels / 2);
  GradientScale scale{max_g > 0 ? max_g / half : 1.0, max_h > 0 ? max_h / levels : 1.0};
  const std::uint64_t base = splitmix64(seed);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint64_t r = splitmix64(base ^ (std::uint64_t(i) * 0xd1342543de82ef95ull));
    const double magnitude = std::fabs(g[i]) / scale.g;
    const int gq = round_stochastic(magnitude, unit(r), half);
    const int hq = round_stochastic(std::max(0.0, double(h[i])) / scale.h, unit(splitmix64(r)), levels);
    out[i] = packed::pack(g[i] < 0 ? -gq : gq, hq);
  }
  return scale;
}

}  // namespace aoi::gbdt::detail
