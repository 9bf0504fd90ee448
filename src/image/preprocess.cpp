// ROI crop, resize policies and the conversion to the input tensor.
#include <cmath>
#include <cstring>
#include <utility>

#include "core/require.hpp"
#include "image/preprocess.hpp"

namespace aoi::image {

ResizePolicy parse_policy(const std::string& text) {
  if (text == "stretch") return ResizePolicy::kStretch;
  if (text == "imagenet") return ResizePolicy::kImageNet;
  throw Error(ErrorKind::kInvalidArgument, "unknown resize policy '" + text + "' (expected stretch or imagenet)");
}

const char* policy_name(ResizePolicy policy) { return policy == ResizePolicy::kStretch ? "stretch" : "imagenet"; }

namespace {

// The kImageNet policy's resize: shorter side to resize_short, the longer one
// scaled with Python's round (half to even, which nearbyint gives in the
// default rounding mode); both must cover the input size.
std::pair<int, int> imagenet_resize(int width, int height, const Preprocess& pre, const char* name) {
  const bool wide = width >= height;
  const int short_side = wide ? height : width, long_side = wide ? width : height;
  const int scaled_long = int(std::nearbyint(double(long_side) * pre.resize_short / short_side));
  const int w = wide ? scaled_long : pre.resize_short, h = wide ? pre.resize_short : scaled_long;
  require(w >= pre.input_size && h >= pre.input_size, ErrorKind::kInvalidArgument, name,
          "resize_short is smaller than the input size");
  return {w, h};
}

}  // namespace

io::Image crop(const io::Image& image, const Roi& roi, const std::string& name) {
  const bool inside = roi.x >= 0 && roi.y >= 0 && roi.width > 0 && roi.height > 0 &&
                      std::int64_t(roi.x) + roi.width <= image.width &&
                      std::int64_t(roi.y) + roi.height <= image.height;
  require(inside, ErrorKind::kInvalidArgument, name,
          "region " + std::to_string(roi.x) + "," + std::to_string(roi.y) + "," + std::to_string(roi.width) + "," +
              std::to_string(roi.height) + " does not lie inside the " + std::to_string(image.width) + "x" +
              std::to_string(image.height) + " image");
  io::Image out;
  out.width = roi.width, out.height = roi.height;
  out.rgb.resize(std::size_t(roi.width) * roi.height * 3);
  for (int y = 0; y < roi.height; ++y)
    std::memcpy(out.rgb.data() + std::size_t(y) * roi.width * 3, image.pixel(roi.x, roi.y + y),
                std::size_t(roi.width) * 3);
  return out;
}

io::Image fit_to_input(const io::Image& image, const Preprocess& pre, const std::optional<Roi>& roi,
                       const std::string& name) {
  std::optional<io::Image> cropped;
  if (roi) cropped = crop(image, *roi, name);
  const io::Image& source = cropped ? *cropped : image;  // no copy without a ROI
  const int size = pre.input_size;
  if (pre.policy == ResizePolicy::kStretch) return resize_bilinear(source, size, size);

  const auto [w, h] = imagenet_resize(source.width, source.height, pre, name.c_str());
  const io::Image resized = resize_bilinear(source, w, h);
  return crop(resized, Roi{(w - size) / 2, (h - size) / 2, size, size}, name);
}

void to_tensor(const io::Image& fitted, const Preprocess& pre, float* out) {
  const std::size_t plane = std::size_t(fitted.width) * fitted.height;
  const float to_range = pre.scale / 255.0f;
  for (int c = 0; c < 3; ++c) {
    const int source_channel = pre.channel_order == ChannelOrder::kRGB ? c : 2 - c;
    const float mean = pre.mean[c], inv_std = 1.0f / pre.std[c];
    float* dst = out + plane * c;
    for (std::size_t i = 0; i < plane; ++i) {
      const float v = pre.scale == 255.0f ? float(fitted.rgb[3 * i + source_channel])
                                          : float(fitted.rgb[3 * i + source_channel]) * to_range;
      dst[i] = pre.std[c] == 1.0f ? v - mean : (v - mean) * inv_std;
    }
  }
}

namespace {

// Copies a rectangle of `pixels` into `out` as RGB, reusing its buffer.
void copy_region_rgb(const PixelView& pixels, const Roi& r, io::Image& out) {
  out.width = r.width, out.height = r.height;
  out.rgb.resize(std::size_t(r.width) * r.height * 3);
  for (int y = 0; y < r.height; ++y) {
    const std::uint8_t* src = pixels.data + (r.y + y) * pixels.stride + std::ptrdiff_t(r.x) * pixels.channels;
    std::uint8_t* dst = out.rgb.data() + std::size_t(y) * r.width * 3;
    if (pixels.channels == 3) {
      std::memcpy(dst, src, std::size_t(r.width) * 3);
    } else {
      for (int x = 0; x < r.width; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
    }
  }
}

}  // namespace

void prepare_pixels(const PixelView& pixels, const Preprocess& pre, const std::optional<Roi>& roi, const char* name,
                    PrepareScratch& scratch, float* tensor) {
  require(pixels.data != nullptr, ErrorKind::kInvalidArgument, name, "no pixels (null pointer)");
  require(pixels.width > 0 && pixels.height > 0, ErrorKind::kInvalidArgument, name, "width and height must be positive");
  require(pixels.channels == 1 || pixels.channels == 3, ErrorKind::kInvalidArgument, name,
          "channels must be 1 (grey) or 3 (RGB)");
  require(pixels.stride >= std::ptrdiff_t(pixels.width) * pixels.channels, ErrorKind::kInvalidArgument, name,
          "stride must be at least width x channels bytes");
  const Roi r = roi ? *roi : Roi{0, 0, pixels.width, pixels.height};
  if (!(r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && std::int64_t(r.x) + r.width <= pixels.width &&
        std::int64_t(r.y) + r.height <= pixels.height))
    throw Error(ErrorKind::kInvalidArgument,
                std::string(name) + ": region " + std::to_string(r.x) + "," + std::to_string(r.y) + "," +
                    std::to_string(r.width) + "," + std::to_string(r.height) + " does not lie inside the " +
                    std::to_string(pixels.width) + "x" + std::to_string(pixels.height) + " image");
  copy_region_rgb(pixels, r, scratch.region);
  const int size = pre.input_size;
  if (pre.policy == ResizePolicy::kStretch) {
    resize_bilinear_into(scratch.region, size, size, scratch.resize, scratch.fitted);
    to_tensor(scratch.fitted, pre, tensor);
    return;
  }
  // As fit_to_input: shorter side to resize_short, then a centre crop.
  const auto [w, h] = imagenet_resize(scratch.region.width, scratch.region.height, pre, name);
  resize_bilinear_into(scratch.region, w, h, scratch.resize, scratch.fitted);
  const io::Image& resized = scratch.fitted;
  const int x0 = (w - size) / 2, y0 = (h - size) / 2;
  io::Image& cropped = scratch.cropped;
  cropped.width = cropped.height = size;
  cropped.rgb.resize(std::size_t(size) * size * 3);
  for (int y = 0; y < size; ++y)
    std::memcpy(cropped.rgb.data() + std::size_t(y) * size * 3, resized.pixel(x0, y0 + y), std::size_t(size) * 3);
  to_tensor(cropped, pre, tensor);
}

}  // namespace aoi::image
