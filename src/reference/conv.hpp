// Convolution building blocks on one image in NCHW float32: the geometry,
// im2col, the fused epilogue (bias, residual add, ReLU), and pooling.
#pragma once

#include <cstddef>

namespace aoi::kernels {

struct ConvGeometry {
  int in_channels = 0, in_height = 0, in_width = 0;
  int out_channels = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride = 1, pad = 0;

  int out_height() const { return (in_height + 2 * pad - kernel_h) / stride + 1; }
  int out_width() const { return (in_width + 2 * pad - kernel_w) / stride + 1; }
  int patch_size() const { return in_channels * kernel_h * kernel_w; }  // GEMM k
  int out_pixels() const { return out_height() * out_width(); }          // GEMM n
  // A 1x1, stride-1, unpadded convolution is a plain GEMM on the input.
  bool is_pointwise() const { return kernel_h == 1 && kernel_w == 1 && stride == 1 && pad == 0; }
};

// Writes rows [row_begin, row_end) of the patch matrix (patch_size x out_pixels),
// rows ordered (channel, ky, kx) to match OIHW weights; zero outside the image.
void im2col(const ConvGeometry& g, const float* input, float* columns, int row_begin, int row_end);

// out[c][j] = act(out[c][j] + bias[c] + residual[c][j]) on a tile of columns
// [col_begin, col_end) of rows [row_begin, row_end); ld is the row stride.
void bias_residual_relu(float* out, int ld, int row_begin, int row_end, int col_begin, int col_end,
                        const float* bias, const float* residual, bool relu);

// Max pooling with implicit -inf padding, one image: channels x h x w.
void max_pool(const float* input, int channels, int height, int width, int kernel, int stride, int pad,
              float* output);

// Mean over each channel's h*w values.
void global_average_pool(const float* input, int channels, int pixels, float* output);

}  // namespace aoi::kernels
