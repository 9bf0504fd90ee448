// Bilinear resampling with antialiasing, reproducing Pillow 9's ImagingResample
// for 8-bit images: the same support, the same coefficient normalisation, the
// same 22-bit fixed point, horizontal pass first with 8-bit rounding between
// passes. Matching it bit for bit keeps aoi's features equal to the features of
// a Python pipeline that used PIL.
#include <cmath>

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

std::uint8_t clip8(std::int64_t v) {
  if (v >= (std::int64_t(1) << kPrecisionBits) << 8) return 255;
  if (v <= 0) return 0;
  return std::uint8_t(v >> kPrecisionBits);
}

// Resamples along one axis into `out` (whose buffer is reused when large enough).
void resample_axis(const io::Image& in, int out_w, int out_h, bool horizontal, ResizeScratch::Coefficients& c,
                   io::Image& out) {
  const int in_len = horizontal ? in.width : in.height;
  const int out_len = horizontal ? out_w : out_h;
  precompute(in_len, out_len, c);
  out.width = out_w, out.height = out_h;
  out.rgb.resize(std::size_t(out_w) * out_h * 3);
  const std::size_t tap_stride = horizontal ? 3 : std::size_t(in.width) * 3;
  for (int y = 0; y < out_h; ++y) {
    for (int x = 0; x < out_w; ++x) {
      const int o = horizontal ? x : y;
      const std::uint8_t* src = horizontal ? in.pixel(c.first[o], y) : in.pixel(x, c.first[o]);
      const std::int32_t* k = &c.fixed[std::size_t(o) * c.taps];
      std::int64_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      for (int t = 0; t < c.count[o]; ++t, src += tap_stride)
        for (int ch = 0; ch < 3; ++ch) acc[ch] += std::int64_t(src[ch]) * k[t];
      std::uint8_t* dst = out.rgb.data() + (std::size_t(y) * out_w + x) * 3;
      for (int ch = 0; ch < 3; ++ch) dst[ch] = clip8(acc[ch]);
    }
  }
}

}  // namespace

void resize_bilinear_into(const io::Image& image, int out_width, int out_height, ResizeScratch& scratch,
                          io::Image& out) {
  require(out_width > 0 && out_height > 0 && image.width > 0 && image.height > 0, ErrorKind::kInvalidArgument,
          "resize", "sizes must be positive");
  require(&image != &out, ErrorKind::kInvalidArgument, "resize", "the output must not be the input");
  const bool horizontal = out_width != image.width, vertical = out_height != image.height;
  if (horizontal && vertical) {
    resample_axis(image, out_width, image.height, true, scratch.coefficients, scratch.between);
    resample_axis(scratch.between, out_width, out_height, false, scratch.coefficients, out);
  } else if (horizontal || vertical) {
    resample_axis(image, out_width, out_height, horizontal, scratch.coefficients, out);
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
