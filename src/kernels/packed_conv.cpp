#include "aoi/kernels/packed_conv.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "aoi/core/error.hpp"
#include "kernels/gemm_blocking.hpp"
#include "kernels/microkernel.hpp"
#include "kernels/winograd.hpp"

namespace aoi::kernels {

float* Scratch::slot(int index) const {
  if (index < 0 || index >= slots || !data)
    throw Error(ErrorKind::kInvalidArgument, "scratch: thread slot " + std::to_string(index) + " has no scratch (" +
                                                 std::to_string(slots) + " slots)");
  return data + std::size_t(index) * floats_per_slot;
}

struct PackedConv::Impl {
  const MicroKernel* kernel = nullptr;
  int k = 0;       // GEMM depth: kernel * kernel * in_channels
  int panels = 0;  // ceil(out_channels / nr)
  AlignedFloats weights;  // panels x k x nr
  AlignedFloats bias;     // panels * nr, zero-padded
  std::unique_ptr<WinogradWeights> winograd;
};

namespace {

bool winograd_shape(const ConvSpec& s) { return s.kernel == 3 && s.stride == 1 && s.pad == 1; }

// Gathers rows [m0, m0 + rows) and depth [k0, k0 + kc) of the implicit patch
// matrix into mr-row panels: panel p holds a[(p * kc + kk) * mr + r].
void pack_patches(const ConvSpec& s, const float* in, int h, int w, int m0, int rows, int k0, int kc, int mr,
                  float* packed) {
  const int ow = s.out_size(w), cin = s.in_channels;
  const int padded_rows = (rows + mr - 1) / mr * mr;
  for (int i = 0; i < padded_rows; ++i) {
    float* dst = packed + std::size_t(i / mr) * kc * mr + i % mr;
    if (i >= rows) {
      for (int kk = 0; kk < kc; ++kk) dst[std::size_t(kk) * mr] = 0.0f;
      continue;
    }
    const int p = m0 + i, oy = p / ow, ox = p % ow;
    int kk = 0;
    while (kk < kc) {
      const int k = k0 + kk, tap = k / cin, ci = k % cin;
      const int ky = tap / s.kernel, kx = tap % s.kernel;
      const int run = std::min(cin - ci, kc - kk);
      const int iy = oy * s.stride - s.pad + ky, ix = ox * s.stride - s.pad + kx;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
        for (int j = 0; j < run; ++j) dst[std::size_t(kk + j) * mr] = 0.0f;
      } else {
        const float* src = in + (std::size_t(iy) * w + ix) * cin + ci;
        for (int j = 0; j < run; ++j) dst[std::size_t(kk + j) * mr] = src[j];
      }
      kk += run;
    }
  }
}

}  // namespace

PackedConv::PackedConv(const ConvSpec& spec, std::span<const float> oihw, std::span<const float> bias, Isa isa,
                       ConvAlgorithm algorithm)
    : spec_(spec), impl_(std::make_unique<Impl>()) {
  const auto& s = spec_;
  require(s.in_channels > 0 && s.out_channels > 0 && s.kernel > 0 && s.stride > 0 && s.pad >= 0 && s.pad < s.kernel,
          ErrorKind::kInvalidArgument, "conv", "bad convolution shape");
  require(oihw.size() == std::size_t(s.out_channels) * s.in_channels * s.kernel * s.kernel &&
              bias.size() == std::size_t(s.out_channels),
          ErrorKind::kBadWeights, "conv", "weight or bias size does not match the layer");
  require(isa_supported(isa), ErrorKind::kUnsupported, "conv",
          std::string("instruction set ") + isa_name(isa) + " is not available here");
  require(algorithm != ConvAlgorithm::kWinograd || winograd_shape(s), ErrorKind::kInvalidArgument, "conv",
          "Winograd needs a 3x3 stride-1 pad-1 convolution");
  auto& m = *impl_;
  m.kernel = &micro_kernel(isa);
  const int nr = m.kernel->nr;
  m.panels = (s.out_channels + nr - 1) / nr;
  m.bias = allocate_floats(std::size_t(m.panels) * nr);
  std::fill(m.bias.get(), m.bias.get() + std::size_t(m.panels) * nr, 0.0f);
  std::copy(bias.begin(), bias.end(), m.bias.get());
  if (algorithm == ConvAlgorithm::kWinograd || (algorithm == ConvAlgorithm::kAuto && winograd_shape(s))) {
    m.winograd = std::make_unique<WinogradWeights>(s.in_channels, s.out_channels, oihw, nr);
    return;
  }
  m.k = s.kernel * s.kernel * s.in_channels;
  const std::size_t kk = std::size_t(s.kernel) * s.kernel;
  m.weights = allocate_floats(std::size_t(m.panels) * m.k * nr);
  float* dst = m.weights.get();
  for (int p = 0; p < m.panels; ++p)
    for (int k = 0; k < m.k; ++k) {
      const int tap = k / s.in_channels, ci = k % s.in_channels;
      for (int j = 0; j < nr; ++j, ++dst) {
        const int oc = p * nr + j;
        *dst = oc < s.out_channels ? oihw[(std::size_t(oc) * s.in_channels + ci) * kk + tap] : 0.0f;
      }
    }
}

PackedConv::PackedConv(PackedConv&&) noexcept = default;
PackedConv& PackedConv::operator=(PackedConv&&) noexcept = default;
PackedConv::~PackedConv() = default;

Isa PackedConv::isa() const { return impl_->kernel->isa; }
bool PackedConv::uses_winograd() const { return impl_->winograd != nullptr; }

std::size_t PackedConv::scratch_floats(int h, int w) const {
  const auto& mk = *impl_->kernel;
  if (impl_->winograd) return 0;
  const bool in_place = spec_.kernel == 1 && spec_.stride == 1 && spec_.pad == 0;
  return in_place ? 0 : std::size_t(block_rows(mk)) * kGemmDepthBlock;
}

std::size_t PackedConv::shared_floats(int h, int w) const {
  return impl_->winograd ? winograd_shared_floats(spec_.in_channels, spec_.out_channels, h, w) : 0;
}

void PackedConv::forward(const float* input, int h, int w, float* output, const float* residual, bool relu,
                         const Scratch& scratch) const {
  const auto& s = spec_;
  const auto& m = *impl_;
  const auto& mk = *m.kernel;
  require(h >= s.kernel - 2 * s.pad && w >= s.kernel - 2 * s.pad, ErrorKind::kInvalidArgument, "conv",
          "input smaller than the kernel");
  if (m.winograd) {
    winograd_forward(*m.winograd, mk, input, h, w, output, m.bias.get(), residual, relu, scratch);
    return;
  }
  const int oh = s.out_size(h), ow = s.out_size(w), pixels = oh * ow, cout = s.out_channels;
  const bool in_place = s.kernel == 1 && s.stride == 1 && s.pad == 0;
  const GemmTiling tiling = plan_tiling(pixels, m.panels, mk, tbb::this_task_arena::max_concurrency());
  const int nr = mk.nr, mr = mk.mr;
  tbb::parallel_for(0, tiling.tiles(), [&](int tile) {
    const int m0 = (tile / tiling.n_blocks) * tiling.mc, rows = std::min(tiling.mc, pixels - m0);
    const int p0 = (tile % tiling.n_blocks) * tiling.panels_per_block;
    const int p1 = std::min(m.panels, p0 + tiling.panels_per_block);
    float* packed = in_place ? nullptr : scratch.slot(tbb::this_task_arena::current_thread_index());
    for (int k0 = 0; k0 < m.k; k0 += kGemmDepthBlock) {
      const int kc = std::min(kGemmDepthBlock, m.k - k0);
      const bool last = k0 + kc == m.k;
      if (!in_place) pack_patches(s, input, h, w, m0, rows, k0, kc, mr, packed);
      for (int p = p0; p < p1; ++p) {
        Epilogue ep{m.bias.get() + std::size_t(p) * nr, nullptr, cout, relu};
        for (int i = 0; i < rows; i += mr) {
          TileArgs t;
          t.kc = kc;
          t.b = m.weights.get() + (std::size_t(p) * m.k + k0) * nr;
          t.c = output + std::size_t(m0 + i) * cout + std::size_t(p) * nr;
          t.ldc = cout;
          t.rows = std::min(mr, rows - i);
          t.cols = std::min(nr, cout - p * nr);
          t.accumulate = k0 > 0;
          if (last) {
            ep.residual = residual ? residual + std::size_t(m0 + i) * cout + std::size_t(p) * nr : nullptr;
            t.epilogue = &ep;
          }
          if (in_place) {
            t.a = input + std::size_t(m0 + i) * s.in_channels + k0;
            t.a_row_stride = s.in_channels;
            mk.strided(t);
          } else {
            t.a = packed + std::size_t(i / mr) * kc * mr;
            mk.packed(t);
          }
        }
      }
    }
  }, tbb::simple_partitioner());
}

}  // namespace aoi::kernels
