#include "kernels/int8_conv.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/parallel.hpp"
#include "core/require.hpp"
#include "kernels/conv_gemm.hpp"

namespace aoi::kernels {

static_assert(kQNr == 16, "run_conv_tiles cuts panels of 16 columns");
QuantizedConv::QuantizedConv(const ConvSpec& spec, std::span<const std::int8_t> oihw,
                             std::span<const float> weight_scale, std::span<const float> bias, float input_scale,
                             Isa isa)
    : QuantizedConv(spec, oihw, weight_scale, bias, input_scale, qmicro_kernel(isa)) {}

QuantizedConv::QuantizedConv(const ConvSpec& spec, std::span<const std::int8_t> oihw,
                             std::span<const float> weight_scale, std::span<const float> bias, float input_scale,
                             const QMicroKernel& kernel)
    : spec_(spec), kernel_(&kernel), input_scale_(input_scale) {
  const auto& s = spec_;
  require(s.in_channels > 0 && s.out_channels > 0 && s.kernel > 0 && s.stride > 0 && s.pad >= 0 && s.pad < s.kernel,
          ErrorKind::kInvalidArgument, "int8 conv", "bad convolution shape");
  const std::size_t taps = std::size_t(s.kernel) * s.kernel;
  require(oihw.size() == std::size_t(s.out_channels) * s.in_channels * taps &&
              weight_scale.size() == std::size_t(s.out_channels) && bias.size() == std::size_t(s.out_channels),
          ErrorKind::kBadWeights, "int8 conv", "weight, scale or bias size does not match the layer");
  require(std::isfinite(input_scale) && input_scale > 0, ErrorKind::kBadWeights, "int8 conv",
          "the input scale must be a positive number");
  const auto outside = [](std::int8_t v) { return v < -kQWeightMax || v > kQWeightMax; };
  if (std::any_of(oihw.begin(), oihw.end(), outside))
    throw Error(ErrorKind::kBadWeights, "int8 conv: a weight lies outside [-" + std::to_string(kQWeightMax) + ", " +
                                            std::to_string(kQWeightMax) + "]");
  k_ = int(taps) * s.in_channels;
  const int group = kernel_->k_group;
  k_padded_ = (k_ + group - 1) / group * group;
  panels_ = (s.out_channels + kQNr - 1) / kQNr;
  const std::size_t bytes = std::size_t(panels_) * k_padded_ * kQNr;
  packed_storage_ = allocate_floats((bytes + 3) / 4);
  packed_ = reinterpret_cast<std::int8_t*>(packed_storage_.get());
  std::memset(packed_, 0, bytes);
  column_sums_.assign(std::size_t(panels_) * kQNr, 0);
  scale_.assign(std::size_t(panels_) * kQNr, 0.0f);
  bias_.assign(std::size_t(panels_) * kQNr, 0.0f);
  for (int oc = 0; oc < s.out_channels; ++oc) {
    require(std::isfinite(weight_scale[oc]) && weight_scale[oc] >= 0, ErrorKind::kBadWeights, "int8 conv",
            "weight scales must be non-negative numbers");
    scale_[oc] = input_scale * weight_scale[oc];
    bias_[oc] = bias[oc];
    // Depth k = (tap, ci) in order: within a group the column's bytes are
    // adjacent, and each group of the panel is group x kQNr bytes further.
    // Stepping along (no division per weight) keeps packing, done at every
    // start, small beside the first image.
    std::int8_t* dst = packed_ + std::size_t(oc / kQNr) * k_padded_ * kQNr + std::size_t(oc % kQNr) * group;
    const std::int8_t* w = oihw.data() + std::size_t(oc) * s.in_channels * taps;
    std::int32_t sum = 0;
    int within = 0;
    for (std::size_t tap = 0; tap < taps; ++tap)
      for (int ci = 0; ci < s.in_channels; ++ci) {
        const std::int8_t v = w[std::size_t(ci) * taps + tap];
        dst[within] = v;
        sum += v;
        if (++within == group) within = 0, dst += std::size_t(group) * kQNr;
      }
    column_sums_[oc] = sum;
  }
}

bool QuantizedConv::reads_in_place() const {
  // Rows are read up to the padded depth: in place only where that is the row.
  return spec_.kernel == 1 && spec_.stride == 1 && spec_.pad == 0 && spec_.in_channels % kernel_->k_group == 0;
}

std::size_t QuantizedConv::scratch_bytes(int, int) const {
  return reads_in_place() ? 0 : std::size_t(kConvRowBlock) * k_padded_;
}

void QuantizedConv::forward(const std::uint8_t* input, int h, int w, const Output& out, const float* residual,
                            bool relu, const Scratch& scratch) const {
  const auto& s = spec_;
  require(h >= s.kernel - 2 * s.pad && w >= s.kernel - 2 * s.pad, ErrorKind::kInvalidArgument, "int8 conv",
          "input smaller than the kernel");
  require(out.f32 || out.u8, ErrorKind::kInvalidArgument, "int8 conv", "no output given");
  require(!out.u8 || (std::isfinite(out.u8_step) && out.u8_step > 0), ErrorKind::kInvalidArgument, "int8 conv",
          "the u8 output needs a positive step");
  const int cout = s.out_channels;
  const float inv_step = out.u8 ? 1.0f / out.u8_step : 0.0f;
  run_conv_tiles<std::uint8_t>(
      s, input, h, w, k_padded_, panels_, kernel_->panels, kernel_->mr, reads_in_place(), scratch,
      [&](const ConvTile<std::uint8_t>& tile) {
        const int c0 = tile.panel * kQNr;
        const std::size_t at = std::size_t(tile.m) * cout + c0;
        QTileArgs t;
        t.k = k_padded_;
        t.a = tile.a, t.a_row_stride = tile.a_stride;
        t.b = packed_ + std::size_t(tile.panel) * k_padded_ * kQNr;
        t.b_panel_stride = std::ptrdiff_t(k_padded_) * kQNr;
        t.b_column_sums = column_sums_.data() + c0;
        t.rows = tile.rows, t.cols = tile.cols;
        t.ep.scale = scale_.data() + c0, t.ep.bias = bias_.data() + c0;
        t.ep.relu = relu, t.ep.out_inv_step = inv_step;
        t.ep.residual = residual ? residual + at : nullptr, t.ep.ld_residual = cout;
        t.ep.out_f32 = out.f32 ? out.f32 + at : nullptr, t.ep.ld_f32 = cout;
        t.ep.out_u8 = out.u8 ? out.u8 + at : nullptr, t.ep.ld_u8 = cout;
        kernel_->run(t);
      });
}

}  // namespace aoi::kernels
