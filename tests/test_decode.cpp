// Every decoder, format and bit depth, on images generated here; and every
// kind of bad input, which must be a clear error naming the file.
#include <gtest/gtest.h>
#include <png.h>

#include <random>

#include "core/require.hpp"
#include "io/image.hpp"
#include "support/image_writers.hpp"

namespace aoi::test {
namespace {

constexpr int kW = 13, kH = 7;  // odd sizes exercise row padding

std::vector<std::uint16_t> random_samples(std::size_t n, int max, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, max);
  std::vector<std::uint16_t> v(n);
  for (auto& x : v) x = std::uint16_t(d(rng));
  return v;
}

// Rounded 16-to-8-bit scaling, as the decoders promise.
std::uint8_t scale16(std::uint16_t v) { return std::uint8_t((v * 255u + 32767u) / 65535u); }

void expect_grey(const io::Image& img, const std::vector<std::uint8_t>& expected) {
  ASSERT_EQ(img.width, kW);
  ASSERT_EQ(img.height, kH);
  for (int i = 0; i < kW * kH; ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(img.rgb[3 * i + c], expected[i]) << "pixel " << i << " channel " << c;
}

std::string error_of(const Bytes& bytes, const std::string& name, const io::ImageLimits& limits = {}) {
  try {
    io::decode_image(bytes, name, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DecodePng, GreyAtEveryBitDepthIsScaledAndReplicated) {
  for (int bits : {1, 2, 4, 8, 16}) {
    const int max = (1 << bits) - 1;
    const auto s = random_samples(kW * kH, max, bits);
    const auto img = io::decode_image(encode_png(kW, kH, PNG_COLOR_TYPE_GRAY, bits, s), "grey.png");
    std::vector<std::uint8_t> expected(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) expected[i] = bits == 16 ? scale16(s[i]) : std::uint8_t(s[i] * 255 / max);
    SCOPED_TRACE(bits);
    expect_grey(img, expected);
  }
}

TEST(DecodePng, RgbAndRgbaAt8And16Bits) {
  for (int bits : {8, 16})
    for (int type : {PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA}) {
      const int ch = type == PNG_COLOR_TYPE_RGB ? 3 : 4;
      const auto s = random_samples(kW * kH * ch, (1 << bits) - 1, bits + ch);
      const auto img = io::decode_image(encode_png(kW, kH, type, bits, s), "rgb.png");
      ASSERT_EQ(img.width, kW);
      for (int i = 0; i < kW * kH; ++i)
        for (int c = 0; c < 3; ++c) {
          const std::uint16_t v = s[std::size_t(i) * ch + c];
          ASSERT_EQ(img.rgb[3 * i + c], bits == 16 ? scale16(v) : v) << "bits " << bits << " channels " << ch;
        }
    }
}

TEST(DecodePng, PaletteAndGreyAlpha) {
  std::vector<std::array<std::uint8_t, 3>> palette{{10, 20, 30}, {200, 100, 50}, {0, 255, 7}, {1, 2, 3}};
  const auto idx = random_samples(kW * kH, 3, 7);
  const auto img = io::decode_image(encode_png(kW, kH, PNG_COLOR_TYPE_PALETTE, 2, idx, palette), "pal.png");
  for (int i = 0; i < kW * kH; ++i)
    for (int c = 0; c < 3; ++c) ASSERT_EQ(img.rgb[3 * i + c], palette[idx[i]][c]);

  auto ga = random_samples(kW * kH * 2, 255, 9);
  const auto img2 = io::decode_image(encode_png(kW, kH, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga), "ga.png");
  std::vector<std::uint8_t> grey(kW * kH);
  for (int i = 0; i < kW * kH; ++i) grey[i] = std::uint8_t(ga[2 * i]);
  expect_grey(img2, grey);
}

TEST(DecodeJpeg, GreyRgbAndCmykDecodeCloseToTheSource) {
  // A smooth image so that JPEG at quality 95 stays within a few levels.
  std::vector<std::uint8_t> rgb(kW * kH * 3), grey(kW * kH);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      grey[y * kW + x] = std::uint8_t(60 + 8 * x + 4 * y);
      for (int c = 0; c < 3; ++c) rgb[(y * kW + x) * 3 + c] = std::uint8_t(40 + 10 * x + 5 * y + 30 * c);
    }
  const auto g = io::decode_image(encode_jpeg(kW, kH, 1, grey), "g.jpg");
  const auto c = io::decode_image(encode_jpeg(kW, kH, 3, rgb), "c.jpg");
  ASSERT_EQ(g.width, kW);
  ASSERT_EQ(c.height, kH);
  for (int i = 0; i < kW * kH; ++i) {
    EXPECT_NEAR(g.rgb[3 * i], grey[i], 6);
    EXPECT_EQ(g.rgb[3 * i], g.rgb[3 * i + 2]);
    for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(c.rgb[3 * i + ch], rgb[3 * i + ch], 10);
  }
  // Adobe CMYK stores 255 - ink: all 255 is white, C=0 (full cyan ink) is cyan.
  std::vector<std::uint8_t> cmyk(kW * kH * 4, 255);
  for (int i = 0; i < kW * kH / 2; ++i) cmyk[4 * i] = 0;
  const auto k = io::decode_image(encode_jpeg(kW, kH, 4, cmyk, 100), "k.jpg");
  EXPECT_NEAR(k.rgb[0], 0, 12);
  EXPECT_NEAR(k.rgb[1], 255, 12);
  const std::size_t last = (kW * kH - 1) * 3;
  EXPECT_NEAR(k.rgb[last], 255, 12);
}

#if !defined(AOI_HAVE_TIFF)
TEST(DecodeTiff, BuildWithoutTiffRefusesItByName) {
  const std::string msg = error_of(encode_tiff(4, 4, 1, 8, {}), "scan.tif");
  EXPECT_NE(msg.find("scan.tif: TIFF images are not supported by this build"), std::string::npos) << msg;
}
#endif

TEST(DecodeTiff, GreyAndRgbAt8And16Bits) {
#if !defined(AOI_HAVE_TIFF)
  GTEST_SKIP() << "built with AOI_WITH_TIFF=OFF";
#endif
  for (int bits : {8, 16})
    for (int spp : {1, 3}) {
      const auto s = random_samples(kW * kH * spp, (1 << bits) - 1, bits * spp);
      const auto img = io::decode_image(encode_tiff(kW, kH, spp, bits, s), "img.tif");
      ASSERT_EQ(img.width, kW);
      ASSERT_EQ(img.height, kH);
      for (int i = 0; i < kW * kH; ++i)
        for (int c = 0; c < 3; ++c) {
          const std::uint16_t v = s[std::size_t(i) * spp + (spp == 3 ? c : 0)];
          // libtiff scales 16-bit to 8-bit by its own rounding; allow one level.
          if (bits == 16) ASSERT_NEAR(img.rgb[3 * i + c], scale16(v), 1) << "spp " << spp;
          else ASSERT_EQ(img.rgb[3 * i + c], v) << "spp " << spp;
        }
    }
}

TEST(DecodeBmp, TwentyFourAndThirtyTwoBitBothRowOrders) {
  const auto s = random_samples(kW * kH * 3, 255, 3);
  std::vector<std::uint8_t> rgb(s.begin(), s.end());
  for (int bits : {24, 32})
    for (bool top_down : {false, true}) {
      const auto img = io::decode_image(encode_bmp(kW, kH, bits, rgb, top_down), "img.bmp");
      ASSERT_EQ(img.rgb, rgb) << bits << " bits, top_down " << top_down;
    }
}

TEST(DecodeBmp, PaletteEightAndOneBit) {
  const auto s = random_samples(kW * kH, 255, 4);
  std::vector<std::uint8_t> rgb(kW * kH * 3);
  for (int i = 0; i < kW * kH; ++i) rgb[3 * i] = std::uint8_t(s[i]);
  std::vector<std::uint8_t> grey(s.begin(), s.end());
  expect_grey(io::decode_image(encode_bmp(kW, kH, 8, rgb), "p8.bmp"), grey);
  for (auto& v : grey) v = v ? 255 : 0;
  expect_grey(io::decode_image(encode_bmp(kW, kH, 1, rgb), "p1.bmp"), grey);
}

TEST(DecodeBad, EmptyGarbageAndTruncatedFilesAreErrorsNamingTheFile) {
  EXPECT_NE(error_of({}, "empty.png").find("empty.png: file is empty"), std::string::npos);
  EXPECT_NE(error_of({'h', 'e', 'l', 'l', 'o'}, "notes.txt").find("notes.txt: not an image"), std::string::npos);

  const auto s = random_samples(64 * 64 * 3, 255, 5);
  std::vector<std::uint8_t> rgb(s.begin(), s.end());
  std::vector<std::uint16_t> s16(s.begin(), s.end());
  const std::vector<std::pair<std::string, Bytes>> files{
      {"cut.png", encode_png(64, 64, PNG_COLOR_TYPE_RGB, 8, s16)},
      {"cut.jpg", encode_jpeg(64, 64, 3, rgb)},
#if defined(AOI_HAVE_TIFF)
      {"cut.tif", encode_tiff(64, 64, 3, 8, s16)},
#endif
      {"cut.bmp", encode_bmp(64, 64, 24, rgb)},
  };
  for (const auto& [name, bytes] : files) {
    ASSERT_EQ(error_of(bytes, name), "") << name << " must decode whole";
    for (double keep : {0.02, 0.3, 0.6, 0.95}) {
      const Bytes cut(bytes.begin(), bytes.begin() + std::ptrdiff_t(bytes.size() * keep));
      const std::string msg = error_of(cut, name);
      EXPECT_EQ(msg.rfind(name + ": ", 0), 0u) << name << " cut to " << keep << ": '" << msg << "'";
    }
  }
}

TEST(DecodeBad, HugeDimensionsAreRefusedAtTheHeader) {
  // A BMP header claiming 40000 x 40000 pixels, with no pixel data behind it.
  auto bmp = encode_bmp(2, 2, 24, std::vector<std::uint8_t>(12, 0));
  bmp[18] = 0x40, bmp[19] = 0x9C, bmp[22] = 0x40, bmp[23] = 0x9C;  // 40000
  EXPECT_NE(error_of(bmp, "huge.bmp").find("huge.bmp: image is 40000x40000 pixels, over the limit"), std::string::npos);

  // Within the per-side limit, over the pixel limit.
  io::ImageLimits limits;
  limits.max_pixels = 100;
  const auto png = encode_png(kW, kH + 10, PNG_COLOR_TYPE_GRAY, 8, random_samples(kW * (kH + 10), 255, 1));
  EXPECT_NE(error_of(png, "big.png", limits).find("big.png: image has 221 pixels, over the limit of 100"), std::string::npos);
  const auto jpg = encode_jpeg(20, 20, 1, std::vector<std::uint8_t>(400, 9));
  EXPECT_NE(error_of(jpg, "big.jpg", limits).find("big.jpg: image has 400 pixels"), std::string::npos);
#if defined(AOI_HAVE_TIFF)
  const auto tif = encode_tiff(20, 20, 1, 8, std::vector<std::uint16_t>(400, 9));
  EXPECT_NE(error_of(tif, "big.tif", limits).find("big.tif: image has 400 pixels"), std::string::npos);
#endif
}

TEST(DecodeBad, ProgressiveJpegWithTooManyScansIsRefused) {
  std::vector<std::uint8_t> px(24 * 16 * 3);
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = std::uint8_t(i * 13);
  const auto jpeg = encode_jpeg(24, 16, 3, px, 90, true);  // libjpeg's simple progression: 10 scans
  const auto ok = io::decode_image(jpeg, "p.jpg");
  EXPECT_EQ(ok.width, 24);
  io::ImageLimits limits;
  limits.max_jpeg_scans = 3;
  EXPECT_EQ(error_of(jpeg, "p.jpg", limits), "p.jpg: bad JPEG: more than 3 scans (the limit)");
}

TEST(ReadImage, MissingFileIsAnErrorNamingIt) {
  try {
    io::read_image("/nonexistent/board.png");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/board.png: no such file");
  }
}

}  // namespace
}  // namespace aoi::test
