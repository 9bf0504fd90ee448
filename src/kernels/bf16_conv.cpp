#include "kernels/bf16_conv.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/bf16.hpp"
#include "core/require.hpp"
#include "kernels/conv_gemm.hpp"

namespace aoi::kernels {

static_assert(kBNr == 16, "run_conv_tiles cuts panels of 16 columns");

namespace {

std::vector<std::uint16_t> narrowed(std::span<const float> values) {
  std::vector<std::uint16_t> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = narrow_bf16(values[i]);
  return out;
}

}  // namespace

Bf16Conv::Bf16Conv(const ConvSpec& spec, std::span<const std::uint16_t> oihw, std::span<const float> bias, Isa isa)
    : Bf16Conv(spec, oihw, bias, *bmicro_kernels(isa).front()) {}

Bf16Conv::Bf16Conv(const ConvSpec& spec, std::span<const float> oihw, std::span<const float> bias,
                   const BMicroKernel& kernel)
    : Bf16Conv(spec, narrowed(oihw), bias, kernel) {}

Bf16Conv::Bf16Conv(const ConvSpec& spec, std::span<const std::uint16_t> oihw, std::span<const float> bias,
                   const BMicroKernel& kernel)
    : spec_(spec), kernel_(&kernel) {
  const auto& s = spec_;
  require(s.in_channels > 0 && s.out_channels > 0 && s.kernel > 0 && s.stride > 0 && s.pad >= 0 && s.pad < s.kernel,
          ErrorKind::kInvalidArgument, "bf16 conv", "bad convolution shape");
  const std::size_t taps = std::size_t(s.kernel) * s.kernel;
  require(oihw.size() == std::size_t(s.out_channels) * s.in_channels * taps &&
              bias.size() == std::size_t(s.out_channels),
          ErrorKind::kBadWeights, "bf16 conv", "weight or bias size does not match the layer");
  k_ = int(taps) * s.in_channels;
  k_padded_ = (k_ + 1) / 2 * 2;
  panels_ = (s.out_channels + kBNr - 1) / kBNr;
  const std::size_t elements = std::size_t(panels_) * k_padded_ * kBNr;
  packed_storage_ = allocate_floats((elements + 1) / 2);
  packed_ = reinterpret_cast<std::uint16_t*>(packed_storage_.get());
  std::memset(packed_, 0, elements * sizeof(std::uint16_t));
  bias_.assign(std::size_t(panels_) * kBNr, 0.0f);
  for (int oc = 0; oc < s.out_channels; ++oc) {
    require(std::isfinite(bias[oc]), ErrorKind::kBadWeights, "bf16 conv", "a bias is not a finite number");
    bias_[oc] = bias[oc];
    // Depth k = (tap, ci) in order, in pairs: each pair's two values are
    // adjacent, and the next pair of the column is 2 x kBNr further.
    std::uint16_t* dst = packed_ + std::size_t(oc / kBNr) * k_padded_ * kBNr + std::size_t(oc % kBNr) * 2;
    const std::uint16_t* w = oihw.data() + std::size_t(oc) * s.in_channels * taps;
    int within = 0;
    for (std::size_t tap = 0; tap < taps; ++tap)
      for (int ci = 0; ci < s.in_channels; ++ci) {
        dst[within] = w[std::size_t(ci) * taps + tap];
        if (++within == 2) within = 0, dst += 2 * kBNr;
      }
  }
}

bool Bf16Conv::reads_in_place() const {
  // Rows are read up to the padded depth: in place only where that is the row.
  return spec_.kernel == 1 && spec_.stride == 1 && spec_.pad == 0 && spec_.in_channels % 2 == 0;
}

std::size_t Bf16Conv::scratch_bytes(int, int) const {
  return reads_in_place() ? 0 : std::size_t(kConvRowBlock) * k_padded_ * sizeof(std::uint16_t);
}

void Bf16Conv::forward(const std::uint16_t* input, int h, int w, const Output& out, const float* residual,
                       bool relu, const Scratch& scratch) const {
  const auto& s = spec_;
  require(h >= s.kernel - 2 * s.pad && w >= s.kernel - 2 * s.pad, ErrorKind::kInvalidArgument, "bf16 conv",
          "input smaller than the kernel");
  require(out.f32 || out.bf16, ErrorKind::kInvalidArgument, "bf16 conv", "no output given");
  const int cout = s.out_channels;
  run_conv_tiles<std::uint16_t>(
      s, input, h, w, k_padded_, panels_, kernel_->panels, kernel_->mr, reads_in_place(), scratch,
      [&](const ConvTile<std::uint16_t>& tile) {
        const int c0 = tile.panel * kBNr;
        const std::size_t at = std::size_t(tile.m) * cout + c0;
        BTileArgs t;
        t.k = k_padded_;
        t.a = tile.a, t.a_row_stride = tile.a_stride;
        t.b = packed_ + std::size_t(tile.panel) * k_padded_ * kBNr;
        t.b_panel_stride = std::ptrdiff_t(k_padded_) * kBNr;
        t.rows = tile.rows, t.cols = tile.cols;
        t.ep.bias = bias_.data() + c0, t.ep.relu = relu;
        t.ep.residual = residual ? residual + at : nullptr, t.ep.ld_residual = cout;
        t.ep.out_f32 = out.f32 ? out.f32 + at : nullptr, t.ep.ld_f32 = cout;
        t.ep.out_bf16 = out.bf16 ? out.bf16 + at : nullptr, t.ep.ld_bf16 = cout;
        kernel_->run(t);
      });
}

}  // namespace aoi::kernels
