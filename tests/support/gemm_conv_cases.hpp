// What the int8 and bf16 convolution tests share: a random convolution shape
// (odd sizes, strides, padding, channel counts that are read in place and
// ones that are gathered into padded rows, partial tiles and panels), and a
// forward pass in an arena of a given thread count.
#pragma once

#include <array>
#include <random>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/packed_conv.hpp"

namespace aoi::test {

struct ConvShape {
  kernels::ConvSpec spec;
  int h, w;
};

// Odd trials: in_channels a multiple of `in_place_multiple` (a 1x1 stride-1
// layer reads such rows in place); even ones: any count up to 37.
inline ConvShape random_conv_shape(std::mt19937& rng, int trial, int in_place_multiple, int max_multiples) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  ConvShape c;
  const int kernel = std::array{1, 1, 3, 3, 5, 7}[pick(0, 5)];
  c.spec.kernel = kernel;
  c.spec.stride = pick(1, 2);
  c.spec.pad = trial % 3 == 0 ? 0 : pick(0, kernel / 2);
  c.spec.in_channels = trial % 2 ? in_place_multiple * pick(1, max_multiples) : pick(1, 37);
  c.spec.out_channels = pick(1, 140);  // up to three calls of a 64-column kernel
  c.h = pick(kernel, 19), c.w = pick(kernel, 23);
  return c;
}

// conv.forward on `threads` threads, each with its scratch slot.
template <typename Conv, typename Element>
void forward_in_arena(const Conv& conv, const Element* input, int h, int w, int threads,
                      const typename Conv::Output& out, const float* residual, bool relu) {
  par::Arena arena(threads);
  arena.execute([&] {
    kernels::Scratch scratch;
    scratch.slots = par::max_concurrency();
    scratch.floats_per_slot = (conv.scratch_bytes(h, w) + 3) / 4;
    std::vector<float> memory(scratch.floats_per_slot * scratch.slots + 1);
    scratch.data = memory.data();
    conv.forward(input, h, w, out, residual, relu, scratch);
  });
}

}  // namespace aoi::test
