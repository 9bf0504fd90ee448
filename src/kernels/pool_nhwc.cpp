#include "kernels/pool_nhwc.hpp"

#include "core/parallel.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

namespace aoi::kernels {

void max_pool_nhwc(const float* input, int height, int width, int channels, int kernel, int stride, int pad,
                   float* output) {
  const int oh = (height + 2 * pad - kernel) / stride + 1, ow = (width + 2 * pad - kernel) / stride + 1;
  // Output rows in parallel, in the caller's arena: run on one thread, the
  // trunk's pooling after the stem kept the other threads waiting (its step
  // is the max_pool line of bench/trunk_steps). A max is exact, so the split
  // cannot change a result.
  par::for_each_range(0, std::size_t(oh), 1, [&](std::size_t row_begin, std::size_t row_end) {
    for (int oy = int(row_begin); oy < int(row_end); ++oy) {
      const int y0 = std::max(oy * stride - pad, 0), y1 = std::min(oy * stride - pad + kernel, height);
      for (int ox = 0; ox < ow; ++ox) {
        const int x0 = std::max(ox * stride - pad, 0), x1 = std::min(ox * stride - pad + kernel, width);
        float* out = output + (std::size_t(oy) * ow + ox) * channels;
        std::fill(out, out + channels, -std::numeric_limits<float>::infinity());
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) {
            const float* in = input + (std::size_t(y) * width + x) * channels;
            for (int c = 0; c < channels; ++c) out[c] = std::max(out[c], in[c]);
          }
      }
    }
  });
}

void global_average_pool_nhwc(const float* input, int pixels, int channels, float* output) {
  // Four partial sums per channel keep the double adds independent; the
  // order is fixed, so the result does not depend on anything but the input.
  constexpr int kChunk = 256;
  double sum[kChunk];
  for (int c0 = 0; c0 < channels; c0 += kChunk) {
    const int n = std::min(kChunk, channels - c0);
    std::fill(sum, sum + n, 0.0);
    for (int p = 0; p < pixels; ++p) {
      const float* in = input + std::size_t(p) * channels + c0;
      for (int c = 0; c < n; ++c) sum[c] += in[c];
    }
    for (int c = 0; c < n; ++c) output[c0 + c] = static_cast<float>(sum[c] / pixels);
  }
}

void nchw_to_nhwc(const float* input, int channels, int height, int width, float* output) {
  nchw_to_nhwc_padded(input, channels, height, width, 0, output);
}

void nchw_to_nhwc_padded(const float* input, int channels, int height, int width, int pad, float* output) {
  const int padded_width = width + 2 * pad;
  const std::size_t row = std::size_t(padded_width) * channels, pixels = std::size_t(height) * width;
  std::fill(output, output + row * pad, 0.0f);  // top border
  // Rows in parallel, in the caller's arena: run on one thread, the trunk's
  // input conversion kept the other threads waiting (the input line of
  // bench/trunk_steps).
  par::for_each_range(0, std::size_t(height), 16, [&](std::size_t row_begin, std::size_t row_end) {
    for (int y = int(row_begin); y < int(row_end); ++y) {
      float* out = output + (std::size_t(y) + pad) * row;
      std::fill(out, out + std::size_t(pad) * channels, 0.0f);
      for (int x = 0; x < width; ++x)
        for (int c = 0; c < channels; ++c)
          out[(std::size_t(x) + pad) * channels + c] = input[c * pixels + std::size_t(y) * width + x];
      std::fill(out + std::size_t(pad + width) * channels, out + row, 0.0f);
    }
  });
  std::fill(output + (std::size_t(height) + pad) * row, output + (std::size_t(height) + 2 * pad) * row, 0.0f);
}

void nhwc_to_nchw(const float* input, int height, int width, int channels, float* output) {
  const std::size_t pixels = std::size_t(height) * width;
  for (int c = 0; c < channels; ++c)
    for (std::size_t p = 0; p < pixels; ++p) output[c * pixels + p] = input[p * channels + c];
}

}  // namespace aoi::kernels
