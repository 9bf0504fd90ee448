// aoi's own convolution on NHWC activations (one image: height x width x
// channels, channels fastest). Weights are re-packed once, at construction,
// into the panels the micro-kernel of the chosen ISA reads; the forward pass
// then allocates nothing: the caller hands it per-thread scratch.
//
// Algorithms:
//  - GEMM: output[pixel][oc] = sum_k patch[pixel][k] * W[k][oc] with k ordered
//    (ky, kx, ic). A 1x1 stride-1 convolution reads its input rows in place;
//    an unpadded one whose output rows hold whole register tiles (strided
//    1x1, a stem on a pre-padded input) reads them in place tile by tile;
//    every other shape gathers its patches while packing (implicit im2col).
//  - Winograd F(2x2, 3x3) or F(4x4, 3x3) for 3x3 stride-1 pad-1 convolutions
//    (kernels/winograd).
// Bias, the residual add and ReLU are applied in the micro-kernel's registers.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/tensor.hpp"
#include "kernels/cpu.hpp"

namespace aoi::kernels {

struct ConvSpec {
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, pad = 0;
  int out_size(int in) const { return (in + 2 * pad - kernel) / stride + 1; }
  long long multiply_adds(int h, int w) const {
    return 1LL * out_size(h) * out_size(w) * out_channels * in_channels * kernel * kernel;
  }
};

// Scratch a forward pass borrows, sized once by the caller's memory plan:
// one slot per thread (slot i belongs to the thread whose
// par::current_thread_index() is i in the running loop).
struct Scratch {
  float* data = nullptr;
  std::size_t floats_per_slot = 0;
  int slots = 0;
  float* slot(int index) const;  // throws if index is out of range
};

enum class ConvAlgorithm { kAuto, kGemm, kWinogradF2, kWinogradF4 };

// The faster algorithm for this layer on an h x w input (3x3 stride-1 layers:
// F(4,3) on large maps, F(2,3) on medium ones, the GEMM on small ones; every
// other shape: the GEMM).
// `compact` trades speed for memory: the GEMM wherever Winograd's
// transformed weights would exceed kCompactWinogradBytes for the layer (in
// ResNet-50 at 224x224, res5's 3x3 layers, whose F(2,3) weights are 16/9
// the size of their direct ones).
ConvAlgorithm choose_algorithm(const ConvSpec& spec, int h, int w, bool compact = false);
inline constexpr std::size_t kCompactWinogradBytes = std::size_t(8) << 20;

class PackedConv {
 public:
  // oihw: out x in x k x k weights (batch norm folded); bias: out values.
  // kAuto takes F(4,3) for 3x3 stride-1 shapes and the GEMM otherwise.
  PackedConv(const ConvSpec& spec, std::span<const float> oihw, std::span<const float> bias, Isa isa,
             ConvAlgorithm algorithm = ConvAlgorithm::kAuto);
  // A layer over buffers packed earlier for the same spec, ISA and algorithm
  // (another layer's packed_buffers(), e.g. mapped from a pack file), which
  // must outlive it. Throws kBadWeights if their sizes do not match.
  static PackedConv from_packed(const ConvSpec& spec, Isa isa, ConvAlgorithm algorithm,
                                std::span<const std::span<const float>> buffers);
  PackedConv(PackedConv&&) noexcept;
  PackedConv& operator=(PackedConv&&) noexcept;
  ~PackedConv();

  const ConvSpec& spec() const { return spec_; }
  Isa isa() const;
  ConvAlgorithm algorithm() const;  // never kAuto
  // Floats of scratch each thread slot needs for an input of h x w.
  std::size_t scratch_floats(int h, int w) const;
  // Bytes of packed weights a forward pass reads (Winograd's are larger).
  std::size_t packed_weight_bytes() const;
  // The packed form, as from_packed takes it back: the bias, then the GEMM's
  // or Winograd's weights. Spans into this layer.
  std::vector<std::span<const float>> packed_buffers() const;
  // A GEMM layer's weights unpacked, out x (k x k x in) in the order of
  // the GEMM's depth (for a 1x1 layer, oihw): exactly the values packed.
  // Throws for a Winograd layer, whose packing is a transform.
  std::vector<float> gemm_weights() const;

  // output (oh x ow x out) = relu?(conv(input) + bias + residual?), input
  // h x w x in. Parallel over output tiles in the caller's TBB arena; every
  // output value is summed in the same order whatever the thread count.
  // output must not overlap input. residual is either null, the output
  // itself (added in place: the faster way to run a residual block, since
  // each output line is then read once and written once) or a buffer that
  // does not overlap the output.
  //
  // output_border > 0 writes the output inside a zero border of that many
  // pixels, (oh + 2b) x (ow + 2b) x out, ready for a following k x k layer
  // built with pad 0 to read in place (PackedTrunk does so where that layer
  // runs as a GEMM). Needs residual == null.
  void forward(const float* input, int h, int w, float* output, const float* residual, bool relu,
               const Scratch& scratch, int output_border = 0) const;

 private:
  PackedConv(const ConvSpec& spec, Isa isa, ConvAlgorithm algorithm);  // the layout; no buffers
  // forward() where output rows do not hold whole register tiles
  // (packed_conv.cpp, tiles_by_output_row).
  void forward_by_output_rows(const float* input, int h, int w, float* output, const float* residual, bool relu,
                              int output_border) const;
  struct Impl;
  ConvSpec spec_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aoi::kernels
