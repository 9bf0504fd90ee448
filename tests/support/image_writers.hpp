// Encoders used only by tests, to make images of every format and bit depth
// in the test itself (no binary fixtures in the repository).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace aoi::test {

using Bytes = std::vector<std::uint8_t>;

// samples: w*h*channels values in the bit depth's range; channels follow the
// PNG colour type (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA, 1 palette index).
Bytes encode_png(int w, int h, int color_type, int bit_depth, const std::vector<std::uint16_t>& samples,
                 const std::vector<std::array<std::uint8_t, 3>>& palette = {});
// components 1 (grey), 3 (RGB) or 4 (Adobe CMYK, stored inverted as Adobe does).
Bytes encode_jpeg(int w, int h, int components, const std::vector<std::uint8_t>& pixels, int quality = 95,
                  bool progressive = false);
// samples_per_pixel 1 or 3, bits 8 or 16; samples in the bit depth's range.
Bytes encode_tiff(int w, int h, int samples_per_pixel, int bits, const std::vector<std::uint16_t>& samples);
// bits 1, 8 (palette: grey ramp), 24 or 32; rgb is w*h*3 (for palettes, R is the index).
Bytes encode_bmp(int w, int h, int bits, const std::vector<std::uint8_t>& rgb, bool top_down = false);

}  // namespace aoi::test
