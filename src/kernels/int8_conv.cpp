#include "kernels/int8_conv.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/parallel.hpp"
#include "core/require.hpp"

namespace aoi::kernels {
namespace {

// Output pixels a task's row block holds: its patch rows (k_padded bytes
// each, up to 4.5 KB in res5) stay in L2 while each weight panel streams by.
constexpr int kRowBlock = 48;

// Copies patch rows [m0, m0 + rows) (k ordered ky, kx, ic) into dst, ld
// bytes apart, zero outside the input and in the padding up to ld.
void gather_rows(const ConvSpec& s, const std::uint8_t* in, int h, int w, int m0, int rows, std::uint8_t* dst,
                 int ld) {
  const int ow = s.out_size(w), cin = s.in_channels, run = s.kernel * cin;
  for (int i = 0; i < rows; ++i) {
    const int oy = (m0 + i) / ow, ox = (m0 + i) % ow;
    std::uint8_t* out = dst + std::size_t(i) * ld;
    const int ix0 = ox * s.stride - s.pad;
    for (int ky = 0; ky < s.kernel; ++ky, out += run) {
      const int iy = oy * s.stride - s.pad + ky;
      if (iy < 0 || iy >= h) {
        std::memset(out, 0, std::size_t(run));
      } else if (ix0 >= 0 && ix0 + s.kernel <= w) {
        std::memcpy(out, in + (std::size_t(iy) * w + ix0) * cin, std::size_t(run));
      } else {
        for (int kx = 0; kx < s.kernel; ++kx) {
          const int ix = ix0 + kx;
          if (ix < 0 || ix >= w) std::memset(out + kx * cin, 0, std::size_t(cin));
          else std::memcpy(out + kx * cin, in + (std::size_t(iy) * w + ix) * cin, std::size_t(cin));
        }
      }
    }
    const int k = s.kernel * run;
    if (ld > k) std::memset(dst + std::size_t(i) * ld + k, 0, std::size_t(ld - k));
  }
}

}  // namespace

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
  return reads_in_place() ? 0 : std::size_t(kRowBlock) * k_padded_;
}

void QuantizedConv::forward(const std::uint8_t* input, int h, int w, const Output& out, const float* residual,
                            bool relu, const Scratch& scratch) const {
  const auto& s = spec_;
  require(h >= s.kernel - 2 * s.pad && w >= s.kernel - 2 * s.pad, ErrorKind::kInvalidArgument, "int8 conv",
          "input smaller than the kernel");
  require(out.f32 || out.u8, ErrorKind::kInvalidArgument, "int8 conv", "no output given");
  require(!out.u8 || (std::isfinite(out.u8_step) && out.u8_step > 0), ErrorKind::kInvalidArgument, "int8 conv",
          "the u8 output needs a positive step");
  const int pixels = s.out_size(h) * s.out_size(w), cout = s.out_channels, mr = kernel_->mr;
  const int row_blocks = (pixels + kRowBlock - 1) / kRowBlock;
  // Few row blocks (res5's 7x7 maps): the panels are split too, so every
  // thread has work; each task then gathers its rows itself.
  const int threads = par::max_concurrency();
  const int panel_groups = std::min(panels_, std::max(1, (2 * threads + row_blocks - 1) / row_blocks));
  const int panels_per_group = (panels_ + panel_groups - 1) / panel_groups;
  const bool in_place = reads_in_place();
  const float inv_step = out.u8 ? 1.0f / out.u8_step : 0.0f;
  par::for_each_index(0, row_blocks * panel_groups, [&](int task) {
    const int m0 = (task / panel_groups) * kRowBlock, rows = std::min(kRowBlock, pixels - m0);
    const int p0 = (task % panel_groups) * panels_per_group, p1 = std::min(panels_, p0 + panels_per_group);
    QTileArgs t;
    t.k = k_padded_;
    const std::uint8_t* a;
    if (in_place) {
      a = input + std::size_t(m0) * s.in_channels;
      t.a_row_stride = s.in_channels;
    } else {
      auto* rows_buffer = reinterpret_cast<std::uint8_t*>(scratch.slot(par::current_thread_index()));
      gather_rows(s, input, h, w, m0, rows, rows_buffer, k_padded_);
      a = rows_buffer;
      t.a_row_stride = k_padded_;
    }
    for (int p = p0; p < p1; ++p) {
      t.b = packed_ + std::size_t(p) * k_padded_ * kQNr;
      const int c0 = p * kQNr;
      t.cols = std::min(kQNr, cout - c0);
      t.b_column_sums = column_sums_.data() + c0;
      t.ep.scale = scale_.data() + c0, t.ep.bias = bias_.data() + c0;
      t.ep.relu = relu, t.ep.out_inv_step = inv_step;
      for (int r0 = 0; r0 < rows; r0 += mr) {
        const std::size_t at = std::size_t(m0 + r0) * cout + c0;
        t.rows = std::min(mr, rows - r0);
        t.a = a + std::size_t(r0) * t.a_row_stride;
        t.ep.residual = residual ? residual + at : nullptr, t.ep.ld_residual = cout;
        t.ep.out_f32 = out.f32 ? out.f32 + at : nullptr, t.ep.ld_f32 = cout;
        t.ep.out_u8 = out.u8 ? out.u8 + at : nullptr, t.ep.ld_u8 = cout;
        kernel_->run(t);
      }
    }
  });
}

}  // namespace aoi::kernels
