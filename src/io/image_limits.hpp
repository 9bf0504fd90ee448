// Shared by the decoders: the header check every format runs before allocating.
#pragma once

#include <string>

#include "core/require.hpp"
#include "io/image.hpp"

namespace aoi::io::detail {

inline void check_dimensions(std::int64_t width, std::int64_t height, const ImageLimits& limits,
                             const std::string& name) {
  require(width > 0 && height > 0, ErrorKind::kBadImage, name,
          "image has no pixels (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  require(width <= limits.max_width && height <= limits.max_height, ErrorKind::kBadImage, name,
          "image is " + std::to_string(width) + "x" + std::to_string(height) +
              " pixels, over the limit of " + std::to_string(limits.max_width) + "x" +
              std::to_string(limits.max_height));
  require(width * height <= limits.max_pixels, ErrorKind::kBadImage, name,
          "image has " + std::to_string(width * height) + " pixels, over the limit of " +
              std::to_string(limits.max_pixels));
}

inline Image make_image(std::int64_t width, std::int64_t height) {
  Image image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.rgb.resize(static_cast<std::size_t>(width * height * 3));
  return image;
}

Image decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits);
Image decode_png(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits);
Image decode_tiff(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits);
Image decode_bmp(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits);

}  // namespace aoi::io::detail
