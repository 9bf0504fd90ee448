// Bilinear resampling with antialiasing, reproducing Pillow 9's ImagingResample
// for 8-bit images: the same support, the same coefficient normalisation, the
// same 22-bit fixed point, horizontal pass first with 8-bit rounding between
// passes. Matching it bit for bit keeps aoi's features equal to the features of
// a Python pipeline that used PIL.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/require.hpp"
#include "image/preprocess.hpp"

namespace aoi::image {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

void precompute(int in_size, int out_size, ResizeScratch::Coefficients& c) {
  const double scale = double(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  c.taps = int(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.fixed.assign(std::size_t(out_size) * c.taps, 0);
  c.k.resize(c.taps);
  double* k = c.k.data();
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    int xmin = int(center - support + 0.5);  // C truncation, as Pillow
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double sum = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = triangle((x + xmin - center + 0.5) / filter_scale);
      sum += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      const double w = sum != 0.0 ? k[x] / sum : k[x];
      c.fixed[std::size_t(xx) * c.taps + x] =
          w < 0 ? int(-0.5 + w * (1 << kPrecisionBits)) : int(0.5 + w * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
}

// The triangle filter's weights are never negative and sum to 2^22 give or
// take a rounding each, so a sum of 8-bit values times them stays below
// 256 << 22 = 2^30: 32-bit sums, as Pillow's own, which vectorize.
std::uint8_t clip8(std::int32_t v) {
  // Pillow's clip: 255 from 256 << 22 on, 0 at or below 0, else v >> 22.
  // Clamping the shifted value is the same and has no branch to vectorize.
  const std::int32_t shifted = v >> kPrecisionBits;
  return std::uint8_t(shifted < 0 ? 0 : shifted > 255 ? 255 : shifted);
}

constexpr std::int32_t kHalf = std::int32_t(1) << (kPrecisionBits - 1);

// Along rows: each output pixel sums its window's pixels, channel by channel.
void resample_rows(const io::Image& in, int out_w, const ResizeScratch::Coefficients& c, io::Image& out) {
  for (int y = 0; y < in.height; ++y) {
    std::uint8_t* dst = out.rgb.data() + std::size_t(y) * out_w * 3;
    for (int x = 0; x < out_w; ++x, dst += 3) {
      const std::uint8_t* src = in.pixel(c.first[x], y);
      const std::int32_t* k = &c.fixed[std::size_t(x) * c.taps];
      std::int32_t r = kHalf, g = kHalf, b = kHalf;
      for (int t = 0; t < c.count[x]; ++t, src += 3) {
        r += std::int32_t(src[0]) * k[t], g += std::int32_t(src[1]) * k[t], b += std::int32_t(src[2]) * k[t];
      }
      dst[0] = clip8(r), dst[1] = clip8(g), dst[2] = clip8(b);
    }
  }
}

// Along columns: each output row sums its window's rows, whole rows at a time.
void resample_columns(const io::Image& in, int out_h, const ResizeScratch::Coefficients& c,
                      std::vector<std::int32_t>& sums, io::Image& out) {
  const std::size_t row = std::size_t(in.width) * 3;
  sums.resize(row);
  for (int y = 0; y < out_h; ++y) {
    std::fill(sums.begin(), sums.end(), kHalf);
    const std::int32_t* k = &c.fixed[std::size_t(y) * c.taps];
    for (int t = 0; t < c.count[y]; ++t) {
      const std::uint8_t* src = in.pixel(0, c.first[y] + t);
      const std::int32_t w = k[t];
      std::int32_t* acc = sums.data();
      for (std::size_t i = 0; i < row; ++i) acc[i] += std::int32_t(src[i]) * w;
    }
    std::uint8_t* dst = out.rgb.data() + std::size_t(y) * row;
    const std::int32_t* done = sums.data();  // a local: byte stores may alias the vector's own pointer
    for (std::size_t i = 0; i < row; ++i) dst[i] = clip8(done[i]);
  }
}

// Resamples along one axis into `out` (whose buffer is reused when large enough).
void resample_axis(const io::Image& in, int out_w, int out_h, bool horizontal, ResizeScratch& scratch,
                   io::Image& out) {
  auto& c = scratch.coefficients;
  precompute(horizontal ? in.width : in.height, horizontal ? out_w : out_h, c);
  out.width = out_w, out.height = out_h;
  out.rgb.resize(std::size_t(out_w) * out_h * 3);
  if (horizontal) resample_rows(in, out_w, c, out);
  else resample_columns(in, out_h, c, scratch.sums, out);
}

}  // namespace

void resize_bilinear_into(const io::Image& image, int out_width, int out_height, ResizeScratch& scratch,
                          io::Image& out) {
  require(out_width > 0 && out_height > 0 && image.width > 0 && image.height > 0, ErrorKind::kInvalidArgument,
          "resize", "sizes must be positive");
  require(&image != &out, ErrorKind::kInvalidArgument, "resize", "the output must not be the input");
  const bool horizontal = out_width != image.width, vertical = out_height != image.height;
  if (horizontal && vertical) {
    resample_axis(image, out_width, image.height, true, scratch, scratch.between);
    resample_axis(scratch.between, out_width, out_height, false, scratch, out);
  } else if (horizontal || vertical) {
    resample_axis(image, out_width, out_height, horizontal, scratch, out);
  } else {
    out.width = image.width, out.height = image.height;
    out.rgb.assign(image.rgb.begin(), image.rgb.end());
  }
}

io::Image resize_bilinear(const io::Image& image, int out_width, int out_height) {
  ResizeScratch scratch;
  io::Image out;
  resize_bilinear_into(image, out_width, out_height, scratch, out);
  return out;
}

}  // namespace aoi::image
