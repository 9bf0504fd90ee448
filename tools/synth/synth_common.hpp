// What the synthetic set generators share: smooth noise and writing a grey
// image as an 8-bit RGB PNG.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "io/image.hpp"

namespace aoi::synth {

inline constexpr double kPi = 3.14159265358979323846;

// Smooth value noise in [-1, 1]: a coarse random grid, bilinearly interpolated.
inline std::vector<float> value_noise(int size, int cells, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> grid(std::size_t(cells + 1) * (cells + 1));
  for (auto& g : grid) g = u(rng);
  std::vector<float> out(std::size_t(size) * size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double gx = double(x) * cells / size, gy = double(y) * cells / size;
      const int x0 = int(gx), y0 = int(gy);
      const double fx = gx - x0, fy = gy - y0;
      auto at = [&](int i, int j) { return grid[std::size_t(j) * (cells + 1) + i]; };
      out[std::size_t(y) * size + x] = float((1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                                             fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1)));
    }
  return out;
}

// size x size grey values (clamped to 0..255) to path as a PNG.
inline void write_grey_png(const std::vector<float>& grey, int size, const std::filesystem::path& path) {
  io::Image im;
  im.width = im.height = size;
  im.rgb.resize(std::size_t(size) * size * 3);
  for (std::size_t i = 0; i < grey.size(); ++i) {
    const auto v = std::uint8_t(std::clamp(grey[i], 0.0f, 255.0f));
    im.rgb[3 * i] = im.rgb[3 * i + 1] = im.rgb[3 * i + 2] = v;
  }
  const auto png = io::encode_png(im);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
}

}  // namespace aoi::synth
