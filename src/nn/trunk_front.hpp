// What the float32 and int8 packed trunks do alike in their forward passes:
// the timing of steps, the float32 front (the NCHW image to padded NHWC, the
// stem, the max pool) and a stage tap's NCHW view of an activation.
#pragma once

#include <chrono>

#include "kernels/packed_conv.hpp"
#include "kernels/pool_nhwc.hpp"
#include "nn/trunk.hpp"

namespace aoi::nn {

// Runs one step, timed only when someone asked.
template <typename F>
void timed_step(const StepTimer& timer, const TrunkStep& step, F&& run) {
  if (!timer) return run();
  const auto start = std::chrono::steady_clock::now();
  run();
  timer(step, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

struct FrontOutput {
  int size, channels;  // the pooled map, size x size x channels in `pooled`
};

// The image (3 x input_size x input_size NCHW) into `padded` with the stem's
// zero border, the stem (built with pad 0) into `stem_out`, the max pool
// into `pooled`: steps "input", "stem" and "max_pool".
inline FrontOutput run_front(const kernels::PackedConv& stem, int stem_pad, const float* image, int input_size,
                             float* padded, float* stem_out, float* pooled, const kernels::Scratch& scratch,
                             const StepTimer& timer) {
  int size = input_size + 2 * stem_pad;
  timed_step(timer, {"input", 0, 0},
             [&] { kernels::nchw_to_nhwc_padded(image, 3, input_size, input_size, stem_pad, padded); });
  timed_step(timer, {"stem", 0, 0}, [&] { stem.forward(padded, size, size, stem_out, nullptr, true, scratch); });
  size = stem.spec().out_size(size);
  const int channels = stem.spec().out_channels;
  timed_step(timer, {"max_pool", 0, 0}, [&] {
    kernels::max_pool_nhwc(stem_out, size, size, channels, Trunk::kPoolKernel, Trunk::kPoolStride, Trunk::kPoolPad,
                           pooled);
  });
  return {Trunk::pooled_size(size), channels};
}

// The tap, if any, sees x (size x size x channels NHWC) as it is if it takes
// NHWC, else as NCHW, converted into `nchw` (an area the next step does not
// read).
inline void tap_stage(const StageTap& tap, int stage, const float* x, int size, int channels, float* nchw) {
  if (!tap.wants(stage)) return;
  if (tap.takes_nhwc()) return tap.nhwc(stage, x, channels, size, size);
  kernels::nhwc_to_nchw(x, size, size, channels, nchw);
  tap(stage, nchw, channels, size, size);
}

}  // namespace aoi::nn
