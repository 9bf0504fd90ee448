// The int8 convolution against a naive one over random shapes (odd sizes,
// strides, padding, partial tiles and panels, residuals, both outputs), on
// every instruction set this CPU runs: integer sums are exact and the
// epilogue is defined once (kernels/qgemm.hpp), so every path must give the
// same bits as the reference, whatever the thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>

#include "core/parallel.hpp"
#include "core/require.hpp"
#include "kernels/int8_conv.hpp"
#include "support/gemm_conv_cases.hpp"
#include "support/isas.hpp"

namespace aoi::test {
namespace {

using kernels::ConvSpec;
using kernels::Isa;
using kernels::QuantizedConv;

struct Case {
  ConvSpec spec;
  int h, w;
  std::vector<std::uint8_t> input;   // h x w x in
  std::vector<std::int8_t> weight;   // OIHW
  std::vector<float> weight_scale, bias, residual;
  float input_scale, out_step;
};

Case random_case(std::mt19937& rng, int trial) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c;
  const ConvShape shape = random_conv_shape(rng, trial, 4, 24);
  c.spec = shape.spec, c.h = shape.h, c.w = shape.w;
  const int kernel = c.spec.kernel;
  const ConvSpec& s = c.spec;
  c.input.resize(std::size_t(c.h) * c.w * s.in_channels);
  for (auto& v : c.input) v = std::uint8_t(pick(0, 255));
  c.weight.resize(std::size_t(s.out_channels) * s.in_channels * kernel * kernel);
  // Extremes often: saturation of vpmaddubsw's pairs is what could go wrong.
  for (auto& v : c.weight) v = std::int8_t(trial % 4 == 0 ? (pick(0, 1) ? 64 : -64) : pick(-64, 64));
  std::uniform_real_distribution<float> u(-1, 1);
  for (int o = 0; o < s.out_channels; ++o) {
    c.weight_scale.push_back(0.001f + 0.01f * (u(rng) + 1));
    c.bias.push_back(u(rng));
  }
  c.input_scale = 0.02f + 0.01f * u(rng);
  c.out_step = 0.05f + 0.04f * u(rng);
  c.residual.resize(std::size_t(s.out_size(c.h)) * s.out_size(c.w) * s.out_channels);
  for (auto& v : c.residual) v = 3 * u(rng);
  return c;
}

// The definition: exact integer sums over the zero-padded input, then the
// epilogue's steps in the order qgemm.hpp fixes.
void naive(const Case& c, bool with_residual, bool relu, std::vector<float>& f32, std::vector<std::uint8_t>& u8) {
  const ConvSpec& s = c.spec;
  const int oh = s.out_size(c.h), ow = s.out_size(c.w);
  f32.assign(std::size_t(oh) * ow * s.out_channels, 0.0f);
  u8.assign(f32.size(), 0);
  for (int oy = 0; oy < oh; ++oy)
    for (int ox = 0; ox < ow; ++ox)
      for (int o = 0; o < s.out_channels; ++o) {
        std::int32_t acc = 0;
        for (int ky = 0; ky < s.kernel; ++ky)
          for (int kx = 0; kx < s.kernel; ++kx) {
            const int iy = oy * s.stride - s.pad + ky, ix = ox * s.stride - s.pad + kx;
            if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
            for (int i = 0; i < s.in_channels; ++i)
              acc += std::int32_t(c.input[(std::size_t(iy) * c.w + ix) * s.in_channels + i]) *
                     c.weight[((std::size_t(o) * s.in_channels + i) * s.kernel + ky) * s.kernel + kx];
          }
        const std::size_t at = (std::size_t(oy) * ow + ox) * s.out_channels + o;
        float v = kernels::q_dequantize(acc, c.input_scale * c.weight_scale[o], c.bias[o]);
        if (with_residual) v += c.residual[at];
        if (relu) v = v > 0.0f ? v : 0.0f;
        f32[at] = v;
        u8[at] = kernels::q_requantize(v, 1.0f / c.out_step);
      }
}

void run(const QuantizedConv& conv, const Case& c, int threads, const QuantizedConv::Output& out,
         const float* residual, bool relu) {
  forward_in_arena(conv, c.input.data(), c.h, c.w, threads, out, residual, relu);
}

// Every int8 kernel this CPU and build run, once each (AVX-512 machines with
// VNNI run that one and the AVX2 one; aarch64 ones with the dot-product
// extensions run those and plain NEON).
std::vector<const kernels::QMicroKernel*> runnable_int8_kernels() {
  std::vector<const kernels::QMicroKernel*> out;
  for (Isa isa : runnable_isas())
    for (const auto* kernel : kernels::qmicro_kernels(isa))
      if (std::find(out.begin(), out.end(), kernel) == out.end()) out.push_back(kernel);
  return out;
}

class Int8OnEachIsa : public ::testing::TestWithParam<const kernels::QMicroKernel*> {};

TEST_P(Int8OnEachIsa, ConvolutionIsBitIdenticalToTheNaiveDefinition) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 120; ++trial) {
    const Case c = random_case(rng, trial);
    const bool relu = trial % 3 != 1;
    const int mode = trial % 3;  // 0: no residual; 1: separate; 2: in place in the f32 output
    SCOPED_TRACE(testing::Message() << "trial " << trial << ": " << c.spec.in_channels << "->" << c.spec.out_channels
                                    << " k" << c.spec.kernel << " s" << c.spec.stride << " p" << c.spec.pad << " on "
                                    << c.h << "x" << c.w);
    std::vector<float> want_f32;
    std::vector<std::uint8_t> want_u8;
    naive(c, mode != 0, relu, want_f32, want_u8);
    const QuantizedConv conv(c.spec, c.weight, c.weight_scale, c.bias, c.input_scale, *GetParam());
    for (int threads : {1, 2}) {
      std::vector<float> f32 = mode == 2 ? c.residual : std::vector<float>(want_f32.size(), -7.0f);
      std::vector<std::uint8_t> u8(want_u8.size(), 7);
      const float* residual = mode == 1 ? c.residual.data() : mode == 2 ? f32.data() : nullptr;
      run(conv, c, threads, {f32.data(), u8.data(), c.out_step}, residual, relu);
      ASSERT_EQ(0, std::memcmp(f32.data(), want_f32.data(), f32.size() * sizeof(float))) << threads << " threads";
      ASSERT_EQ(u8, want_u8) << threads << " threads";
    }
  }
}

TEST_P(Int8OnEachIsa, WritesOnlyTheOutputsAsked) {
  std::mt19937 rng(5);
  const Case c = random_case(rng, 1);
  const QuantizedConv conv(c.spec, c.weight, c.weight_scale, c.bias, c.input_scale, *GetParam());
  std::vector<float> want_f32;
  std::vector<std::uint8_t> want_u8;
  naive(c, false, true, want_f32, want_u8);
  std::vector<std::uint8_t> u8(want_u8.size(), 0);
  run(conv, c, 2, {nullptr, u8.data(), c.out_step}, nullptr, true);
  EXPECT_EQ(u8, want_u8);
  std::vector<float> f32(want_f32.size(), 0.0f);
  run(conv, c, 2, {f32.data(), nullptr, 1.0f}, nullptr, true);
  EXPECT_EQ(f32, want_f32);
}

INSTANTIATE_TEST_SUITE_P(Paths, Int8OnEachIsa, ::testing::ValuesIn(runnable_int8_kernels()),
                         [](const auto& info) { return std::string(info.param->name); });

TEST(Int8Conv, RequantizingRoundsToNearestEvenAsNearbyintDoes) {
  // Floats from 0 to 288 (every 64th representable one) and all the halves
  // up to 300 (the ties), with the clamps at both ends.
  auto want = [](float v) { return std::uint8_t(std::nearbyint(std::min(255.0f, std::max(0.0f, v)))); };
  std::size_t checked = 0;
  for (std::uint32_t bits = 0; bits < 0x43900000u; bits += 64) {  // 0 .. 288
    const float v = std::bit_cast<float>(bits);
    ASSERT_EQ(kernels::q_requantize(v, 1.0f), want(v)) << v;
    ASSERT_EQ(kernels::q_requantize(-v, 1.0f), 0) << -v;
    ++checked;
  }
  for (int twice = 0; twice <= 600; ++twice) {
    const float v = 0.5f * float(twice);
    ASSERT_EQ(kernels::q_requantize(v, 1.0f), want(v)) << v;
    ASSERT_EQ(kernels::q_requantize(v * 0.25f, 4.0f), want(v)) << v;
  }
  EXPECT_EQ(kernels::q_requantize(2.5f, 1.0f), 2);
  EXPECT_EQ(kernels::q_requantize(3.5f, 1.0f), 4);
  EXPECT_EQ(kernels::q_requantize(254.5f, 1.0f), 254);
  EXPECT_GT(checked, 10000000u);
}

TEST(Int8Conv, RefusesWeightsOutsideTheRangeEveryPathSums) {
  const ConvSpec spec{4, 2, 1, 1, 0};
  std::vector<std::int8_t> w(8, 1);
  w[3] = 65;
  try {
    QuantizedConv(spec, w, std::vector<float>{1, 1}, std::vector<float>{0, 0}, 0.1f, Isa::kScalar);
    FAIL() << "accepted a weight of 65";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside"), std::string::npos) << e.what();
  }
  EXPECT_THROW(QuantizedConv(spec, std::vector<std::int8_t>(8, 1), std::vector<float>{1, 1}, std::vector<float>{0, 0},
                             0.0f, Isa::kScalar),
               Error);
}

}  // namespace
}  // namespace aoi::test
