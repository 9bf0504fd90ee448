// One convolution layer with batch norm already folded into its weights and
// bias, borrowing both from the weight file (no copy). A layer of an int8
// file (`aoi quantize`) holds s8 weights, their per-channel steps and its
// input's step instead of float weights; only aoi's kernels run it. A layer
// of a bf16 file holds its bf16 values and widens them when asked.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "reference/conv.hpp"
#include "reference/gemm.hpp"

namespace aoi::nn {

// What a forward pass borrows from its caller: the GEMM backend and scratch.
struct ForwardContext {
  kernels::GemmBackend backend = kernels::GemmBackend::kEigen;
  float* columns = nullptr;  // im2col scratch, at least Conv2d::scratch_floats()
};

struct QuantizedWeights {
  std::span<const std::int8_t> weight;     // OIHW
  std::span<const float> weight_scale;     // one per output channel
  float input_scale = 0;                   // the step of the layer's u8 input
};

// A layer of a bf16 file: its values in place, and the float32 copy the
// float paths read, widened on first use (WeightFile::widened), so a bf16
// trunk, which packs the raw values, never makes it.
struct Bf16Weights {
  std::span<const std::uint16_t> raw;  // OIHW
  std::function<std::span<const float>()> widened;
};

class Conv2d {
 public:
  Conv2d(std::string name, std::span<const float> weight, std::span<const float> bias, int in_channels,
         int out_channels, int kernel, int stride, int pad);
  Conv2d(std::string name, QuantizedWeights quantized, std::span<const float> bias, int in_channels,
         int out_channels, int kernel, int stride, int pad);
  Conv2d(std::string name, Bf16Weights bf16, std::span<const float> bias, int in_channels, int out_channels,
         int kernel, int stride, int pad);

  const std::string& name() const { return name_; }
  int in_channels() const { return in_channels_; }
  int out_channels() const { return out_channels_; }
  int kernel() const { return kernel_; }
  int stride() const { return stride_; }
  int pad() const { return pad_; }
  // A layer whose spans were borrowed unchecked (WeightFile::Check::kByCaller)
  // runs `check` before anything reads its values: the accessors below and
  // forward() call it.
  void set_read_check(std::function<void()> check) { read_check_ = std::move(check); }
  // OIHW; empty when quantized; a bf16 layer's widened on the first call.
  std::span<const float> weight() const {
    checked();
    return bf16_.widened ? bf16_.widened() : weight_;
  }
  std::span<const std::uint16_t> bf16_weight() const {  // empty unless a bf16 layer
    checked();
    return bf16_.raw;
  }
  // The float32 spans as borrowed, without the read check, for comparing
  // with values checked another way: PackedTrunk repacks the small layers to
  // compare them with a pack file, which its own hash checks; a damaged layer
  // then differs, and the trunk is packed again from checked weights. A bf16
  // layer has no float32 span to borrow: its weight is weight().
  std::span<const float> borrowed_weight() const { return bf16_.widened ? weight() : weight_; }
  std::span<const float> borrowed_bias() const { return bias_; }
  bool quantized() const { return !quantized_.weight.empty(); }
  const QuantizedWeights& quantized_weights() const {
    checked();
    return quantized_;
  }
  std::span<const float> bias() const {
    checked();
    return bias_;
  }
  kernels::ConvGeometry geometry(int in_height, int in_width) const;
  std::size_t scratch_floats(int in_height, int in_width) const;

  // output = relu?(conv(input) + bias + residual?) for one image; parallel over
  // output tiles in the caller's TBB arena. Tiles do not depend on the thread
  // count, so neither do the results.
  void forward(const float* input, int in_height, int in_width, float* output, const float* residual, bool relu,
               const ForwardContext& ctx) const;

 private:
  void checked() const {
    if (read_check_) read_check_();
  }
  std::string name_;
  std::span<const float> weight_;  // OIHW
  QuantizedWeights quantized_;
  Bf16Weights bf16_;
  std::span<const float> bias_;
  std::function<void()> read_check_;
  int in_channels_, out_channels_, kernel_, stride_, pad_;
};

}  // namespace aoi::nn
