// The bf16 convolution against a float64 one over random shapes (odd sizes,
// strides, padding, odd depths, partial tiles and panels, residuals, both
// outputs), on every bf16 kernel this CPU runs. Products of two bfloat16
// values are exact in float32, so a kernel differs from the definition only
// by the rounding of its float32 sums: each output must lie within that
// bound of the float64 value, and its bf16 output must be its float32
// output rounded to nearest even.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/bf16.hpp"
#include "core/parallel.hpp"
#include "core/require.hpp"
#include "kernels/bf16_conv.hpp"
#include "support/gemm_conv_cases.hpp"
#include "support/isas.hpp"

namespace aoi::test {
namespace {

using kernels::Bf16Conv;
using kernels::ConvSpec;

struct Case {
  ConvSpec spec;
  int h, w;
  std::vector<std::uint16_t> input;  // h x w x in, bfloat16
  std::vector<float> weight, bias, residual;  // OIHW weights: bf16 values
};

Case random_case(std::mt19937& rng, int trial) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::uniform_real_distribution<float> u(-1, 1);
  Case c;
  const ConvShape shape = random_conv_shape(rng, trial, 2, 40);
  c.spec = shape.spec, c.h = shape.h, c.w = shape.w;
  const int kernel = c.spec.kernel;
  const ConvSpec& s = c.spec;
  c.input.resize(std::size_t(c.h) * c.w * s.in_channels);
  for (auto& v : c.input) v = narrow_bf16(trial % 5 == 0 ? std::abs(u(rng)) : 4 * u(rng));
  c.weight.resize(std::size_t(s.out_channels) * s.in_channels * kernel * kernel);
  for (auto& v : c.weight) v = widen_bf16(narrow_bf16(0.2f * u(rng)));
  for (int o = 0; o < s.out_channels; ++o) c.bias.push_back(u(rng));
  c.residual.resize(std::size_t(s.out_size(c.h)) * s.out_size(c.w) * s.out_channels);
  for (auto& v : c.residual) v = 3 * u(rng);
  return c;
}

// Per output: the float64 value, and the bound a float32 sum of its terms
// keeps to: (terms + 1) x 2^-24 x the sum of their magnitudes, doubled.
void naive(const Case& c, bool with_residual, bool relu, std::vector<double>& want, std::vector<double>& bound) {
  const ConvSpec& s = c.spec;
  const int oh = s.out_size(c.h), ow = s.out_size(c.w);
  want.assign(std::size_t(oh) * ow * s.out_channels, 0.0);
  bound.assign(want.size(), 0.0);
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int o = 0; o < s.out_channels; ++o) {
        double acc = 0, magnitude = 0;
        int terms = 0;
        for (int ky = 0; ky < s.kernel; ++ky)
          for (int kx = 0; kx < s.kernel; ++kx) {
            const int iy = oy * s.stride - s.pad + ky, ix = ox * s.stride - s.pad + kx;
            if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
            for (int i = 0; i < s.in_channels; ++i) {
              const double p = double(widen_bf16(c.input[(std::size_t(iy) * c.w + ix) * s.in_channels + i])) *
                               c.weight[((std::size_t(o) * s.in_channels + i) * s.kernel + ky) * s.kernel + kx];
              acc += p, magnitude += std::abs(p), ++terms;
            }
          }
        const std::size_t at = (std::size_t(oy) * ow + ox) * s.out_channels + o;
        double v = acc + c.bias[o];
        magnitude += std::abs(c.bias[o]);
        if (with_residual) v += c.residual[at], magnitude += std::abs(c.residual[at]);
        if (relu) v = std::max(v, 0.0);
        want[at] = v;
        bound[at] = 2.0 * (s.in_channels * s.kernel * s.kernel + 3) * std::ldexp(magnitude, -24) + 1e-30;
      }
}

void run(const Bf16Conv& conv, const Case& c, int threads, const Bf16Conv::Output& out, const float* residual,
         bool relu) {
  forward_in_arena(conv, c.input.data(), c.h, c.w, threads, out, residual, relu);
}

std::vector<const kernels::BMicroKernel*> runnable_bf16_kernels() {
  std::vector<const kernels::BMicroKernel*> out;
  for (auto isa : runnable_isas())
    for (const auto* kernel : kernels::bmicro_kernels(isa))
      if (std::find(out.begin(), out.end(), kernel) == out.end()) out.push_back(kernel);
  return out;
}

class Bf16Kernels : public ::testing::TestWithParam<const kernels::BMicroKernel*> {};

TEST_P(Bf16Kernels, ConvolutionKeepsToTheFloat32RoundingOfTheDefinition) {
  std::mt19937 rng(23);
  for (int trial = 0; trial < 90; ++trial) {
    const Case c = random_case(rng, trial);
    const bool relu = trial % 3 != 1;
    const int mode = trial % 3;  // 0: no residual; 1: separate; 2: in place in the f32 output
    SCOPED_TRACE(testing::Message() << "trial " << trial << ": " << c.spec.in_channels << "->" << c.spec.out_channels
                                    << " k" << c.spec.kernel << " s" << c.spec.stride << " p" << c.spec.pad << " on "
                                    << c.h << "x" << c.w);
    std::vector<double> want, bound;
    naive(c, mode != 0, relu, want, bound);
    const Bf16Conv conv(c.spec, c.weight, c.bias, *GetParam());
    for (int threads : {1, 2}) {
      std::vector<float> f32 = mode == 2 ? c.residual : std::vector<float>(want.size(), -7.0f);
      std::vector<std::uint16_t> bf16(want.size(), 7);
      const float* residual = mode == 1 ? c.residual.data() : mode == 2 ? f32.data() : nullptr;
      run(conv, c, threads, {f32.data(), bf16.data()}, residual, relu);
      for (std::size_t i = 0; i < want.size(); ++i) {
        ASSERT_LE(std::abs(f32[i] - want[i]), bound[i]) << "output " << i << ", " << threads << " threads";
        ASSERT_EQ(bf16[i], narrow_bf16(f32[i])) << "output " << i << ", " << threads << " threads";
      }
    }
  }
}

TEST_P(Bf16Kernels, WritesOnlyTheOutputsAskedAndTheSameValues) {
  std::mt19937 rng(5);
  const Case c = random_case(rng, 1);
  const Bf16Conv conv(c.spec, c.weight, c.bias, *GetParam());
  std::vector<float> both_f32(c.residual.size());
  std::vector<std::uint16_t> both_bf16(c.residual.size()), bf16(c.residual.size(), 0);
  run(conv, c, 2, {both_f32.data(), both_bf16.data()}, nullptr, true);
  run(conv, c, 2, {nullptr, bf16.data()}, nullptr, true);
  EXPECT_EQ(bf16, both_bf16);
  std::vector<float> f32(c.residual.size(), 0.0f);
  run(conv, c, 2, {f32.data(), nullptr}, nullptr, true);
  EXPECT_EQ(f32, both_f32);
}

INSTANTIATE_TEST_SUITE_P(Paths, Bf16Kernels, ::testing::ValuesIn(runnable_bf16_kernels()),
                         [](const auto& info) { return std::string(info.param->name); });

TEST(Bf16Conv, RefusesWeightsThatDoNotMatchTheLayer) {
  const ConvSpec spec{4, 2, 1, 1, 0};
  EXPECT_THROW(Bf16Conv(spec, std::vector<std::uint16_t>(7, 0x3f80), std::vector<float>{0, 0}, kernels::Isa::kScalar), Error);
  EXPECT_THROW(Bf16Conv(spec, std::vector<std::uint16_t>(8, 0x3f80), std::vector<float>{0, NAN}, kernels::Isa::kScalar), Error);
}

}  // namespace
}  // namespace aoi::test
