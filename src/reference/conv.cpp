#include "reference/conv.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace aoi::kernels {

void im2col(const ConvGeometry& g, const float* input, float* columns, int row_begin, int row_end) {
  const int oh = g.out_height(), ow = g.out_width();
  const int kk = g.kernel_h * g.kernel_w;
  for (int row = row_begin; row < row_end; ++row) {
    const int c = row / kk, ky = (row % kk) / g.kernel_w, kx = row % g.kernel_w;
    const float* plane = input + std::size_t(c) * g.in_height * g.in_width;
    float* dst = columns + std::size_t(row) * oh * ow;
    for (int oy = 0; oy < oh; ++oy) {
      const int iy = oy * g.stride - g.pad + ky;
      float* out_row = dst + std::size_t(oy) * ow;
      if (iy < 0 || iy >= g.in_height) {
        std::fill(out_row, out_row + ow, 0.0f);
        continue;
      }
      const float* in_row = plane + std::size_t(iy) * g.in_width;
      for (int ox = 0; ox < ow; ++ox) {
        const int ix = ox * g.stride - g.pad + kx;
        out_row[ox] = (ix >= 0 && ix < g.in_width) ? in_row[ix] : 0.0f;
      }
    }
  }
}

void bias_residual_relu(float* out, int ld, int row_begin, int row_end, int col_begin, int col_end,
                        const float* bias, const float* residual, bool relu) {
  for (int r = row_begin; r < row_end; ++r) {
    float* o = out + std::size_t(r) * ld;
    const float b = bias ? bias[r] : 0.0f;
    const float* res = residual ? residual + std::size_t(r) * ld : nullptr;
    for (int j = col_begin; j < col_end; ++j) {
      float v = o[j] + b;
      if (res) v += res[j];
      o[j] = relu ? std::max(v, 0.0f) : v;
    }
  }
}

void max_pool(const float* input, int channels, int height, int width, int kernel, int stride, int pad,
              float* output) {
  const int oh = (height + 2 * pad - kernel) / stride + 1, ow = (width + 2 * pad - kernel) / stride + 1;
  for (int c = 0; c < channels; ++c) {
    const float* plane = input + std::size_t(c) * height * width;
    float* out = output + std::size_t(c) * oh * ow;
    for (int oy = 0; oy < oh; ++oy) {
      const int y0 = std::max(oy * stride - pad, 0), y1 = std::min(oy * stride - pad + kernel, height);
      for (int ox = 0; ox < ow; ++ox) {
        const int x0 = std::max(ox * stride - pad, 0), x1 = std::min(ox * stride - pad + kernel, width);
        float m = -std::numeric_limits<float>::infinity();
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) m = std::max(m, plane[std::size_t(y) * width + x]);
        out[std::size_t(oy) * ow + ox] = m;
      }
    }
  }
}

void global_average_pool(const float* input, int channels, int pixels, float* output) {
  for (int c = 0; c < channels; ++c) {
    // Accumulate in double: 49 to 3136 terms, and the result feeds a classifier.
    double sum = 0.0;
    const float* p = input + std::size_t(c) * pixels;
    for (int i = 0; i < pixels; ++i) sum += p[i];
    output[c] = static_cast<float>(sum / pixels);
  }
}

}  // namespace aoi::kernels
