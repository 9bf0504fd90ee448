// Every layer against naive loops on random shapes: odd sizes, strides,
// padding, all kernel sizes the trunk uses, with and without residual/ReLU,
// on every GEMM backend.
#include <gtest/gtest.h>
#include "core/parallel.hpp"

#include <cmath>
#include <cstdint>
#include <random>

#include "core/tensor.hpp"
#include "reference/conv.hpp"
#include "kernels/cpu.hpp"
#include "kernels/pool_nhwc.hpp"
#include "reference/conv2d.hpp"
#include "support/naive.hpp"

namespace aoi::test {
namespace {

struct ConvCase {
  int c, h, w, out, k, stride, pad;
};

class ConvAgainstNaive : public ::testing::TestWithParam<kernels::GemmBackend> {};

TEST_P(ConvAgainstNaive, RandomShapes) {
  std::mt19937 rng(42);
  std::vector<ConvCase> cases{{3, 17, 23, 5, 7, 2, 3}, {8, 9, 9, 16, 1, 1, 0}, {8, 9, 11, 16, 1, 2, 0},
                              {5, 13, 7, 3, 3, 1, 1},  {6, 15, 15, 4, 3, 2, 1}, {4, 8, 8, 130, 1, 1, 0},
                              {3, 6, 5, 2, 5, 1, 2},   {129, 5, 3, 7, 3, 1, 1}, {16, 40, 40, 8, 3, 1, 1}};
  std::uniform_int_distribution<int> size(1, 21), chan(1, 40), kern(0, 3), strd(1, 2);
  for (int i = 0; i < 12; ++i) {  // plus random ones
    const int k = 2 * kern(rng) + 1;
    cases.push_back({chan(rng), size(rng) + k, size(rng) + k, chan(rng), k, strd(rng), k / 2});
  }
  for (const auto& t : cases) {
    for (bool fused : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "c" << t.c << " " << t.h << "x" << t.w << " out" << t.out << " k" << t.k
                                        << " s" << t.stride << " p" << t.pad << " fused " << fused);
      const auto input = random_floats(std::size_t(t.c) * t.h * t.w, rng);
      const auto weight = random_floats(std::size_t(t.out) * t.c * t.k * t.k, rng);
      const auto bias = random_floats(t.out, rng);
      nn::Conv2d conv("test", weight, bias, t.c, t.out, t.k, t.stride, t.pad);
      const auto g = conv.geometry(t.h, t.w);
      const std::size_t n = std::size_t(t.out) * g.out_pixels();
      const auto residual = random_floats(n, rng);
      std::vector<float> out(n), scratch(conv.scratch_floats(t.h, t.w) + 1);
      conv.forward(input.data(), t.h, t.w, out.data(), fused ? residual.data() : nullptr, fused,
                   {GetParam(), scratch.data()});

      auto expected = naive_conv({input.begin(), input.end()}, t.c, t.h, t.w, {weight.begin(), weight.end()},
                                 {bias.begin(), bias.end()}, t.out, t.k, t.stride, t.pad);
      if (fused)
        for (std::size_t i = 0; i < n; ++i) expected[i] = std::max(expected[i] + residual[i], 0.0);
      ASSERT_EQ(expected.size(), n);
      for (std::size_t i = 0; i < n; ++i) ASSERT_NEAR(out[i], expected[i], 1e-4 * (1 + std::abs(expected[i]))) << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ConvAgainstNaive,
                         ::testing::Values(kernels::GemmBackend::kEigen, kernels::GemmBackend::kOpenBlas),
                         [](const auto& info) { return std::string(kernels::gemm_backend_name(info.param)); });

TEST(Conv, ResultsDoNotDependOnTheThreadCount) {
  std::mt19937 rng(3);
  const int c = 64, h = 28, w = 28, out_c = 200;
  const auto input = random_floats(std::size_t(c) * h * w, rng);
  const auto weight = random_floats(std::size_t(out_c) * c * 9, rng);
  const auto bias = random_floats(out_c, rng);
  nn::Conv2d conv("t", weight, bias, c, out_c, 3, 1, 1);
  std::vector<std::vector<float>> outs;
  for (int threads : {1, 2, 3}) {
    std::vector<float> out(std::size_t(out_c) * h * w), scratch(conv.scratch_floats(h, w));
    aoi::par::Arena(threads).execute(
        [&] { conv.forward(input.data(), h, w, out.data(), nullptr, true, {kernels::GemmBackend::kEigen, scratch.data()}); });
    outs.push_back(out);
  }
  EXPECT_EQ(outs[0], outs[1]);
  EXPECT_EQ(outs[0], outs[2]);
}

TEST(MaxPool, MatchesNaiveWithPaddingAndStride) {
  std::mt19937 rng(5);
  for (auto [c, h, w, k, s, p] : std::vector<std::array<int, 6>>{{3, 112, 112, 3, 2, 1}, {2, 7, 9, 3, 2, 1},
                                                                 {4, 5, 5, 2, 1, 0}, {1, 11, 6, 3, 3, 1}}) {
    const auto in = random_floats(std::size_t(c) * h * w, rng, -5, 5);
    const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
    std::vector<float> out(std::size_t(c) * oh * ow);
    kernels::max_pool(in.data(), c, h, w, k, s, p, out.data());
    const auto expected = naive_max_pool({in.begin(), in.end()}, c, h, w, k, s, p);
    for (std::size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], float(expected[i]));
  }
}

TEST(MaxPoolNhwc, MatchesNaiveOnEveryThreadCount) {
  std::mt19937 rng(15);
  for (auto [c, h, w, k, s, p] : std::vector<std::array<int, 6>>{{64, 112, 112, 3, 2, 1}, {5, 7, 9, 3, 2, 1},
                                                                 {17, 5, 5, 2, 1, 0}, {3, 11, 6, 3, 3, 1}}) {
    const auto nchw = random_floats(std::size_t(c) * h * w, rng, -5, 5);
    std::vector<float> nhwc(nchw.size());
    kernels::nchw_to_nhwc(nchw.data(), c, h, w, nhwc.data());
    const auto expected = naive_max_pool({nchw.begin(), nchw.end()}, c, h, w, k, s, p);  // NCHW
    const int oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
    for (int threads : {1, 2, 3}) {
      std::vector<float> out(std::size_t(c) * oh * ow, 0.0f);
      aoi::par::Arena(threads).execute([&] { kernels::max_pool_nhwc(nhwc.data(), h, w, c, k, s, p, out.data()); });
      for (int ch = 0; ch < c; ++ch)
        for (int px = 0; px < oh * ow; ++px)
          ASSERT_EQ(out[std::size_t(px) * c + ch], float(expected[std::size_t(ch) * oh * ow + px]))
              << c << "x" << h << "x" << w << " k" << k << " s" << s << " p" << p << " threads " << threads;
    }
  }
}

TEST(NchwToNhwcPadded, PlacesEveryValueInsideAZeroBorder) {
  // Rows are converted in parallel chunks: maps of one chunk and of several,
  // on one thread and on three.
  std::mt19937 rng(16);
  for (int h : {5, 37})
    for (int threads : {1, 3}) {
      const int c = 3, w = 7, pad = 2, ph = h + 2 * pad, pw = w + 2 * pad;
      const auto nchw = random_floats(std::size_t(c) * h * w, rng, 1, 2);  // never zero
      std::vector<float> out(std::size_t(ph) * pw * c, -1.0f);
      aoi::par::Arena(threads).execute([&] { kernels::nchw_to_nhwc_padded(nchw.data(), c, h, w, pad, out.data()); });
      for (int y = 0; y < ph; ++y)
        for (int x = 0; x < pw; ++x)
          for (int ch = 0; ch < c; ++ch) {
            const bool inside = y >= pad && y < pad + h && x >= pad && x < pad + w;
            const float want = inside ? nchw[(std::size_t(ch) * h + y - pad) * w + x - pad] : 0.0f;
            ASSERT_EQ(out[(std::size_t(y) * pw + x) * c + ch], want) << h << " rows, " << threads << " threads: " << y
                                                                    << "," << x << "," << ch;
          }
    }
}

TEST(AllocateFloats, AlignsLargeBuffersToHugePagesAndSmallOnesToLines) {
  // Large buffers start on a 2 MiB boundary (so that transparent huge pages
  // can back them), small ones on a 64-byte line; every float is writable,
  // and the deleter returns each with the alignment it was taken with (ASan
  // checks the pairing in CI).
  for (std::size_t count : {std::size_t(1), std::size_t(1000), std::size_t(1) << 19, (std::size_t(3) << 19) + 5}) {
    AlignedFloats buffer = allocate_floats(count);
    const auto address = reinterpret_cast<std::uintptr_t>(buffer.get());
    const std::uintptr_t want = count * sizeof(float) >= (std::size_t(1) << 21) ? std::uintptr_t(1) << 21 : 64;
    EXPECT_EQ(address % want, 0u) << count << " floats";
    std::fill(buffer.get(), buffer.get() + count, 1.0f);
    EXPECT_EQ(buffer[count - 1], 1.0f);
  }
}

TEST(GlobalAveragePool, IsTheChannelMean) {
  std::mt19937 rng(6);
  const auto in = random_floats(5 * 49, rng);
  std::vector<float> out(5);
  kernels::global_average_pool(in.data(), 5, 49, out.data());
  for (int c = 0; c < 5; ++c) {
    double s = 0;
    for (int i = 0; i < 49; ++i) s += in[c * 49 + i];
    EXPECT_NEAR(out[c], s / 49, 1e-6);
  }
}

TEST(Cpu, DetectionIsConsistentAndForcingALowerPathWorks) {
  const auto& f = kernels::cpu_features();
  if (f.avx512f) {
    EXPECT_TRUE(f.fma);
  }
  setenv("AOI_ISA", "scalar", 1);
  EXPECT_EQ(kernels::best_isa(), kernels::Isa::kScalar);
  setenv("AOI_ISA", "sse9", 1);
  EXPECT_THROW(kernels::best_isa(), std::exception);
  unsetenv("AOI_ISA");
}

}  // namespace
}  // namespace aoi::test
