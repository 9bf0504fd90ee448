// From a decoded image to the network's input tensor: region of interest,
// resize policy (PIL-exact bilinear with antialiasing), channel order, scale,
// mean and std. The parameters travel in the weight file, so no model detail
// is hard-coded here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/image.hpp"

namespace aoi::image {

enum class ResizePolicy {
  kStretch,   // the whole image (or ROI) to input_size x input_size; keeps edge defects
  kImageNet,  // shorter side to resize_short, then a centre crop of input_size
};
ResizePolicy parse_policy(const std::string& text);  // "stretch" or "imagenet"; throws otherwise
const char* policy_name(ResizePolicy policy);

enum class ChannelOrder { kRGB, kBGR };

struct Preprocess {
  ChannelOrder channel_order = ChannelOrder::kRGB;
  float scale = 1.0f;                       // a pixel of 255 becomes `scale` before mean/std
  std::array<float, 3> mean{0, 0, 0};       // per tensor channel, in channel_order
  std::array<float, 3> std{1, 1, 1};        // per tensor channel, in channel_order
  int input_size = 224;
  int resize_short = 256;                   // used by kImageNet
  ResizePolicy policy = ResizePolicy::kStretch;
};

// A rectangle in pixels; it must lie inside the image.
struct Roi {
  int x = 0, y = 0, width = 0, height = 0;
};

io::Image crop(const io::Image& image, const Roi& roi, const std::string& name);

// Bilinear resize matching Pillow 9's Image.resize(BILINEAR), 8-bit fixed point.
io::Image resize_bilinear(const io::Image& image, int out_width, int out_height);

// Buffers of a resize, kept by a caller that resizes again and again: once
// sized, a resize to sizes no larger allocates nothing.
struct ResizeScratch {
  struct Coefficients {
    int taps = 0;                     // coefficients per output pixel
    std::vector<int> first, count;    // input window of each output pixel
    std::vector<std::int32_t> fixed;  // out_size * taps, 22-bit fixed point
    std::vector<double> k;            // one output pixel's weights before fixed point
  } coefficients;
  io::Image between;  // the horizontal pass's result
  std::vector<std::int32_t> sums;  // one output row's sums in the vertical pass
};
// The same resize into `out` (which must not be `image`), reusing buffers.
void resize_bilinear_into(const io::Image& image, int out_width, int out_height, ResizeScratch& scratch,
                          io::Image& out);

// Applies ROI (optional) and the resize policy: the result is input_size^2.
io::Image fit_to_input(const io::Image& image, const Preprocess& pre, const std::optional<Roi>& roi,
                       const std::string& name);

// Writes the 3 x input_size x input_size float32 tensor (CHW) of a fitted image.
void to_tensor(const io::Image& fitted, const Preprocess& pre, float* out);

// Borrowed 8-bit pixels: `channels` 1 (grey, replicated to RGB) or 3 (RGB),
// rows `stride` bytes apart.
struct PixelView {
  const std::uint8_t* data = nullptr;
  int width = 0, height = 0;
  std::ptrdiff_t stride = 0;
  int channels = 3;
};
// Buffers of prepare_pixels(), reused from call to call.
struct PrepareScratch {
  io::Image region, fitted, cropped;
  ResizeScratch resize;
};
// ROI, resize policy and tensor conversion of borrowed pixels, equal bit for
// bit to fit_to_input + to_tensor of the same image. Once `scratch` has seen an
// image of some size, images no larger allocate nothing. `name` prefixes errors.
void prepare_pixels(const PixelView& pixels, const Preprocess& pre, const std::optional<Roi>& roi, const char* name,
                    PrepareScratch& scratch, float* tensor);

}  // namespace aoi::image
