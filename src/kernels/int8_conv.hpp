// An int8 convolution on NHWC activations: u8 input (step `input_scale`,
// zero at 0: every input is a ReLU's output), s8 weights with one step per
// output channel, s32 sums, and a float epilogue that writes float32 and/or
// u8 for the next layer (kernels/qgemm.hpp). Every shape runs as a GEMM: 1x1
// stride-1 layers read their input rows in place, the others gather patch
// rows (zero padding is u8 0). Weights are packed once, at construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/packed_conv.hpp"
#include "kernels/qgemm.hpp"

namespace aoi::kernels {

class QuantizedConv {
 public:
  // oihw: s8 weights in [-kQWeightMax, kQWeightMax]; weight_scale and bias:
  // one per output channel; input_scale: the step of the u8 input.
  QuantizedConv(const ConvSpec& spec, std::span<const std::int8_t> oihw, std::span<const float> weight_scale,
                std::span<const float> bias, float input_scale, Isa isa);
  // The same on one given kernel of qmicro_kernels() (tests run each).
  QuantizedConv(const ConvSpec& spec, std::span<const std::int8_t> oihw, std::span<const float> weight_scale,
                std::span<const float> bias, float input_scale, const QMicroKernel& kernel);

  const ConvSpec& spec() const { return spec_; }
  float input_scale() const { return input_scale_; }
  // Bytes of scratch each thread slot needs for an input of h x w.
  std::size_t scratch_bytes(int h, int w) const;
  std::size_t packed_weight_bytes() const { return std::size_t(panels_) * k_padded_ * kQNr; }

  struct Output {
    float* f32 = nullptr;         // oh x ow x out float32, or null
    std::uint8_t* u8 = nullptr;   // oh x ow x out u8, or null
    float u8_step = 1.0f;         // the u8 output's step (the next layer's input scale)
  };
  // out = relu?(conv(input) + bias + residual?). The residual (float32,
  // oh x ow x out) may be out.f32 itself. Parallel over output tiles in the
  // caller's arena; results do not depend on the thread count or the ISA.
  // scratch: one slot per thread of at least scratch_bytes() (as floats).
  void forward(const std::uint8_t* input, int h, int w, const Output& out, const float* residual, bool relu,
               const Scratch& scratch) const;

 private:
  bool reads_in_place() const;
  ConvSpec spec_;
  const QMicroKernel* kernel_;
  float input_scale_;
  int k_ = 0, k_padded_ = 0, panels_ = 0;
  AlignedFloats packed_storage_;   // 64-byte aligned home of packed_
  std::int8_t* packed_ = nullptr;  // panels x k_padded x kQNr
  std::vector<std::int32_t> column_sums_;                           // panels x kQNr: each column's weight sum
  std::vector<float> scale_, bias_;                                 // panels x kQNr, zero-padded
};

}  // namespace aoi::kernels
