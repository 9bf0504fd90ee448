// A bfloat16 convolution on NHWC activations: bf16 input, bf16 weights (a
// bf16 weight file's values, exact), float32 sums, and an epilogue that adds
// bias and residual, applies ReLU and writes float32 and/or bf16 for the
// next layer (kernels/bf16_gemm.hpp). Every shape runs as a GEMM: 1x1
// stride-1 layers read their input rows in place, the others gather patch
// rows. Weights are packed once, at construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/bf16_gemm.hpp"
#include "kernels/packed_conv.hpp"

namespace aoi::kernels {

class Bf16Conv {
 public:
  // oihw: bf16 weights (a bf16 file's values, in place); bias: one per
  // output channel, kept in float32.
  Bf16Conv(const ConvSpec& spec, std::span<const std::uint16_t> oihw, std::span<const float> bias, Isa isa);
  // The same on one given kernel of bmicro_kernels() (tests run each).
  Bf16Conv(const ConvSpec& spec, std::span<const std::uint16_t> oihw, std::span<const float> bias,
           const BMicroKernel& kernel);
  // float32 weights, rounded to bf16 (nearest even) first.
  Bf16Conv(const ConvSpec& spec, std::span<const float> oihw, std::span<const float> bias,
           const BMicroKernel& kernel);

  const ConvSpec& spec() const { return spec_; }
  const BMicroKernel& kernel() const { return *kernel_; }
  // Bytes of scratch each thread slot needs for an input of h x w.
  std::size_t scratch_bytes(int h, int w) const;
  std::size_t packed_weight_bytes() const { return std::size_t(panels_) * k_padded_ * kBNr * 2; }

  struct Output {
    float* f32 = nullptr;            // oh x ow x out float32, or null
    std::uint16_t* bf16 = nullptr;   // oh x ow x out bfloat16, or null
  };
  // out = relu?(conv(input) + bias + residual?). The residual (float32,
  // oh x ow x out) may be out.f32 itself. Parallel over output tiles in the
  // caller's arena. scratch: one slot per thread of at least scratch_bytes().
  void forward(const std::uint16_t* input, int h, int w, const Output& out, const float* residual, bool relu,
               const Scratch& scratch) const;

 private:
  bool reads_in_place() const;
  ConvSpec spec_;
  const BMicroKernel* kernel_;
  int k_ = 0, k_padded_ = 0, panels_ = 0;
  AlignedFloats packed_storage_;     // 64-byte aligned home of packed_
  std::uint16_t* packed_ = nullptr;  // panels x k_padded x kBNr
  std::vector<float> bias_;          // panels x kBNr, zero-padded
};

}  // namespace aoi::kernels
