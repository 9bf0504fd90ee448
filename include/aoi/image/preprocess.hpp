// From a decoded image to the network's input tensor: region of interest,
// resize policy (PIL-exact bilinear with antialiasing), channel order, scale,
// mean and std. The parameters travel in the weight file, so no model detail
// is hard-coded here.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "aoi/io/image.hpp"

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

// Applies ROI (optional) and the resize policy: the result is input_size^2.
io::Image fit_to_input(const io::Image& image, const Preprocess& pre, const std::optional<Roi>& roi,
                       const std::string& name);

// Writes the 3 x input_size x input_size float32 tensor (CHW) of a fitted image.
void to_tensor(const io::Image& fitted, const Preprocess& pre, float* out);

}  // namespace aoi::image
