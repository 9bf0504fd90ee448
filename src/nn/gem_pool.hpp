// Generalized-mean pooling (p = 3) of a stage's activation into one value per
// channel: the cube root of the mean of max(x, 0)^3 over the map's pixels,
// summed in double in pixel order. Between the mean (p = 1) and the max
// (p -> inf), so a small strong response still counts. The stages recipe
// pools res3 and res4 so.
#pragma once

namespace aoi::nn {

// data: channels x pixels (NCHW, the reference trunk's layout).
void gem_pool_nchw(const float* data, int channels, int pixels, float* out);

// data: pixels x channels (NHWC, the packed trunks'), read as it is. Each
// channel's terms are added in the same order as gem_pool_nchw's, so the
// two give the same bits; the channels run side by side, which vectorizes.
void gem_pool_nhwc(const float* data, int channels, int pixels, float* out);

}  // namespace aoi::nn
