// Pooling on NHWC activations (one image: height x width x channels); the
// loops run along channels, so they vectorise.
#pragma once

namespace aoi::kernels {

// Max pooling with implicit -inf padding; output rows run in parallel in the
// caller's TBB arena.
void max_pool_nhwc(const float* input, int height, int width, int channels, int kernel, int stride, int pad,
                   float* output);

// Mean over all pixels of each channel, accumulated in double.
void global_average_pool_nhwc(const float* input, int pixels, int channels, float* output);

// NCHW <-> NHWC for one image.
void nchw_to_nhwc(const float* input, int channels, int height, int width, float* output);
void nhwc_to_nchw(const float* input, int height, int width, int channels, float* output);
// NCHW to NHWC inside a zero border of `pad` pixels: output is
// (height + 2 pad) x (width + 2 pad) x channels.
void nchw_to_nhwc_padded(const float* input, int channels, int height, int width, int pad, float* output);

}  // namespace aoi::kernels
