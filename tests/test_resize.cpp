// The resize policies against PIL's output in ../shared/reference, and the
// geometry of ROI, stretch and imagenet policies.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include <cstdlib>

#include "core/require.hpp"
#include "image/preprocess.hpp"
#include "support/reference.hpp"

namespace aoi::test {
namespace {

image::Preprocess policy(image::ResizePolicy p) {
  image::Preprocess pre;
  pre.policy = p;
  return pre;
}

TEST(Resize, MatchesPillowOnEveryReferenceImage) {
  AOI_REQUIRE_REFERENCE();
  const auto manifest = reference_manifest();
  for (const auto& c : manifest["cases"]) {
    const std::string name = c["image"].get<std::string>() + " " + c["policy"].get<std::string>();
    const auto source = io::read_image(reference_dir() / "images" / c["image"].get<std::string>());
    const auto ours = image::fit_to_input(source, policy(image::parse_policy(c["policy"])), std::nullopt, name);
    const auto pil = io::read_image(reference_dir() / "golden" / c["resized"].get<std::string>());
    ASSERT_EQ(ours.width, pil.width) << name;
    ASSERT_EQ(ours.height, pil.height) << name;
    std::size_t within_one = 0, exact = 0;
    int worst = 0;
    for (std::size_t i = 0; i < ours.rgb.size(); ++i) {
      const int d = std::abs(int(ours.rgb[i]) - int(pil.rgb[i]));
      within_one += d <= 1, exact += d == 0, worst = std::max(worst, d);
    }
    const double share = double(within_one) / ours.rgb.size();
    std::printf("[resize] %-24s exact %.4f%%  within 1 level %.4f%%  worst %d\n", name.c_str(),
                100.0 * exact / ours.rgb.size(), 100.0 * share, worst);
    EXPECT_GE(share, 0.99) << name;
  }
}

TEST(Resize, SameSizeIsTheIdentityAndUpscalingInterpolates) {
  io::Image img;
  img.width = 5, img.height = 3;
  for (int i = 0; i < 45; ++i) img.rgb.push_back(std::uint8_t(i * 5));
  EXPECT_EQ(image::resize_bilinear(img, 5, 3).rgb, img.rgb);
  // 1 x 2 -> 1 x 4 vertical upscale: PIL gives 0, 64, 191, 255 from 0 and 255.
  io::Image two;
  two.width = 1, two.height = 2, two.rgb = {0, 0, 0, 255, 255, 255};
  const auto up = image::resize_bilinear(two, 1, 4);
  EXPECT_EQ(up.rgb[0], 0);
  EXPECT_EQ(up.rgb[3], 64);
  EXPECT_EQ(up.rgb[6], 191);
  EXPECT_EQ(up.rgb[9], 255);
}

TEST(Resize, ConstantImagesStayConstantWhenDownscaled) {
  io::Image img;
  img.width = 97, img.height = 61;
  img.rgb.assign(97 * 61 * 3, 173);
  const auto out = image::resize_bilinear(img, 13, 29);
  for (auto v : out.rgb) ASSERT_EQ(v, 173);
}

// The sums are 32-bit (image/resize.cpp): white stays white however far an
// image shrinks or grows, where a wrapped sum would turn it black, and a
// checkerboard, the largest swing between neighbours, stays within 8 bits.
TEST(Resize, ExtremeValuesAtExtremeScalesNeitherWrapNorClip) {
  for (auto [w, h, ow, oh] : {std::array{4000, 3, 1, 3}, std::array{3, 4000, 3, 1}, std::array{1001, 999, 7, 5},
                              std::array{2, 2, 300, 301}, std::array{768, 576, 341, 256}}) {
    io::Image white;
    white.width = w, white.height = h;
    white.rgb.assign(std::size_t(w) * h * 3, 255);
    for (auto v : image::resize_bilinear(white, ow, oh).rgb) ASSERT_EQ(v, 255) << w << "x" << h << " -> " << ow << "x" << oh;
    io::Image board = white;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        if ((x + y) % 2) std::fill_n(board.rgb.begin() + (std::size_t(y) * w + x) * 3, 3, std::uint8_t(0));
    const auto out = image::resize_bilinear(board, ow, oh);
    // Shrunk far, a checkerboard averages to mid-grey; grown, it keeps its extremes.
    if (ow * 4 <= w && oh * 4 <= h)
      for (auto v : out.rgb) ASSERT_NEAR(int(v), 128, 40) << w << "x" << h << " -> " << ow << "x" << oh;
  }
}

TEST(Policy, ImageNetResizesTheShortSideThenCropsTheCentre) {
  io::Image img;
  img.width = 300, img.height = 200;
  img.rgb.resize(300 * 200 * 3);
  for (int x = 0; x < 300; ++x)
    for (int y = 0; y < 200; ++y) img.rgb[(y * 300 + x) * 3] = std::uint8_t(x < 150 ? 0 : 255);
  const auto out = image::fit_to_input(img, policy(image::ResizePolicy::kImageNet), std::nullopt, "t");
  EXPECT_EQ(out.width, 224);
  EXPECT_EQ(out.height, 224);
  // 300x200 -> 384x256, crop offset 80: the black/white edge lands at x = 192 - 80 = 112.
  EXPECT_EQ(out.rgb[(100 * 224 + 100) * 3], 0);
  EXPECT_EQ(out.rgb[(100 * 224 + 124) * 3], 255);
}

TEST(Policy, RoiIsCroppedBeforeResizingAndValidated) {
  io::Image img;
  img.width = 40, img.height = 30;
  img.rgb.assign(40 * 30 * 3, 0);
  for (int y = 10; y < 20; ++y)
    for (int x = 5; x < 25; ++x) img.rgb[(y * 40 + x) * 3 + 1] = 200;
  const auto out = image::fit_to_input(img, policy(image::ResizePolicy::kStretch), image::Roi{5, 10, 20, 10}, "t");
  for (int i = 0; i < 224 * 224; ++i) ASSERT_EQ(out.rgb[3 * i + 1], 200);
  try {
    image::fit_to_input(img, policy(image::ResizePolicy::kStretch), image::Roi{30, 0, 20, 10}, "board.png");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("board.png: region 30,0,20,10 does not lie inside the 40x30 image"), std::string::npos);
  }
}

TEST(Tensor, ChannelOrderMeanAndStd) {
  io::Image img;
  img.width = 1, img.height = 1, img.rgb = {10, 20, 30};
  image::Preprocess bgr;
  bgr.channel_order = image::ChannelOrder::kBGR, bgr.scale = 255, bgr.mean = {1, 2, 3};
  float out[3];
  image::to_tensor(img, bgr, out);
  EXPECT_FLOAT_EQ(out[0], 29);
  EXPECT_FLOAT_EQ(out[1], 18);
  EXPECT_FLOAT_EQ(out[2], 7);
  image::Preprocess rgb;
  rgb.scale = 1, rgb.mean = {0.5f, 0, 0}, rgb.std = {0.5f, 1, 2};
  image::to_tensor(img, rgb, out);
  EXPECT_NEAR(out[0], (10 / 255.0 - 0.5) / 0.5, 1e-6);
  EXPECT_NEAR(out[2], (30 / 255.0) / 2, 1e-6);
}

}  // namespace
}  // namespace aoi::test
