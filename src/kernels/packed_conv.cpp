#include "kernels/packed_conv.hpp"

#include "core/parallel.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/require.hpp"
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
  int kc_max = 0;  // k block depth the weights were packed with
  int panels = 0;  // ceil(out_channels / nr)
  AlignedFloats weights;  // k x panels * nr, packed k block by k block (gemm_blocking.hpp)
  AlignedFloats bias;     // panels * nr, zero-padded
  std::unique_ptr<WinogradWeights> winograd;
};

namespace {

bool winograd_shape(const ConvSpec& s) { return s.kernel == 3 && s.stride == 1 && s.pad == 1; }

// A 1x1 stride-1 convolution's patch rows are its input rows: no gathering.
bool reads_input_in_place(const ConvSpec& s) { return s.kernel == 1 && s.stride == 1 && s.pad == 0; }

// Other unpadded convolutions read in place by register tiles: the rows of a
// tile that lies within one output row are `stride` pixels apart in the
// input, so the micro-kernel reads them from the tile's first pixel, one
// segment of kernel * in floats per kernel row (NHWC keeps a kernel row of a
// patch contiguous). That covers v1's strided 1x1 downsampling and the 7x7
// stem on an input the trunk pads itself, where copying patch rows into a
// buffer was a visible share of each layer's time in perf. Every
// register tile lies within one output row when the row holds a whole number
// of them, as ResNet-50's do (112, 28, 14 and 7 pixels, 7-row tiles), and
// each k block must hold whole segments or lie within one (segment_depth_block).
constexpr int kMaxBlockTiles = 64;  // register tiles in a row block: max_block_rows() / mr

// Every register tile lies within one output row, and a row block's tiles
// fit the per-task arrays of tile addresses (input tiles, bordered output).
bool tiles_lie_in_rows(int out_width, const MicroKernel& mk) {
  return out_width % mk.mr == 0 && max_block_rows(mk) / mk.mr <= kMaxBlockTiles;
}

// An unpadded layer that is not a plain 1x1 whose k blocks respect kernel
// rows: its register tiles can read the input in place wherever each lies
// within one output row.
bool strided_in_place(const ConvSpec& s, int kc_max) {
  const int segment = s.kernel * s.in_channels, depth = segment * s.kernel;
  const bool whole_segments =
      s.kernel == 1 || depth <= kc_max || kc_max % segment == 0 || segment % kc_max == 0;
  return s.pad == 0 && !reads_input_in_place(s) && whole_segments;
}

bool reads_input_by_tiles(const ConvSpec& s, int out_width, const MicroKernel& mk, int kc_max) {
  return strided_in_place(s, kc_max) && tiles_lie_in_rows(out_width, mk);
}

// Where an output row does not hold a whole number of register tiles (the
// AVX2 kernel's 6 rows on ResNet-50's 112-, 56-, 28-, 14- and 7-pixel rows;
// any kernel on other input sizes), each output row is its own run of
// tiles, the last one short: row blocks are whole output rows. That keeps
// reading in place the strided and k x k layers that otherwise gather patch
// rows (a visible share of the stem's time on AVX2 in perf); their bordered
// outputs are written in place too. The products are the same, term for
// term, as gathering gives. A short tile costs a whole one, so this is only
// where the short tiles add at most a sixteenth to a row (the stem's 112
// pixels: 19 tiles of 6 for 18.7; not 7 pixels: 2 tiles of 6 for 1.2, which
// made res5's strided 1x1 layers slower than gathering). A plain 1x1 reads
// in place anyway; writing its bordered output so, one output row a block,
// was slower than spreading a copy (res2's conv1 on AVX2, allowed a ninth).
// An output row padded to whole register tiles.
int padded_row(int out_width, const MicroKernel& mk) { return (out_width + mk.mr - 1) / mk.mr * mk.mr; }

bool tiles_by_output_row(const ConvSpec& s, int out_width, const MicroKernel& mk, int kc_max) {
  if (tiles_lie_in_rows(out_width, mk) || !strided_in_place(s, kc_max)) return false;
  return 16LL * padded_row(out_width, mk) <= 17LL * out_width;
}

// Where depth k0 of an output pixel's patch row lies in the input, from the
// pixel's first input pixel, for a layer read in place: kernel row k0 /
// segment (input rows of w pixels apart), k0 % segment floats into it.
std::ptrdiff_t in_place_depth_offset(const ConvSpec& s, int w, int k0) {
  const int segment = s.kernel * s.in_channels;
  return std::ptrdiff_t(k0 / segment) * w * s.in_channels + k0 % segment;
}

// Copies rows [m0, m0 + rows) and depth [k0, k0 + kc) of the implicit patch
// matrix (row = output pixel, k = (ky, kx, ic)) to dst with row stride ld. In
// NHWC one kernel row of a patch (all kx, all ic) is one contiguous run of the
// input, so away from the border each row is `kernel` plain copies.
void gather_patch_rows(const ConvSpec& s, const float* in, int h, int w, int m0, int rows, int k0, int kc,
                       float* dst, int ld) {
  const int ow = s.out_size(w), cin = s.in_channels, run = s.kernel * cin;
  const int first_ky = k0 / run, first_within = k0 % run;
  int oy = m0 / ow, ox = m0 % ow;
  for (int i = 0; i < rows; ++i) {
    const int ix0 = ox * s.stride - s.pad;
    const bool inside_x = ix0 >= 0 && ix0 + s.kernel <= w;
    float* out = dst + std::size_t(i) * ld;
    int ky = first_ky, within = first_within;
    for (int left = kc; left > 0; ++ky, within = 0) {
      const int n = std::min(run - within, left);
      const int iy = oy * s.stride - s.pad + ky;
      if (iy < 0 || iy >= h) {
        std::fill(out, out + n, 0.0f);
      } else if (inside_x) {
        // A loop, not memcpy: runs are short (21 floats on the stem) and many.
        const float* src = in + (std::size_t(iy) * w + ix0) * cin + within;
        for (int j = 0; j < n; ++j) out[j] = src[j];
      } else {  // the kernel row crosses the left or right edge
        for (int j = 0; j < n;) {
          const int kx = (within + j) / cin, ci = (within + j) % cin, m = std::min(cin - ci, n - j);
          const int ix = ix0 + kx;
          if (ix < 0 || ix >= w) std::fill(out + j, out + j + m, 0.0f);
          else std::memcpy(out + j, in + (std::size_t(iy) * w + ix) * cin + ci, std::size_t(m) * sizeof(float));
          j += m;
        }
      }
      out += n, left -= n;
    }
    if (++ox == ow) ox = 0, ++oy;
  }
}

// Moves an oh x ow x c map written at the start of `map` into the interior of
// a zero border of `border` pixels in place. Last row first: a row's new place
// never lies below its old one, nor over an earlier row's old place.
void spread_into_border(float* map, int oh, int ow, int c, int border) {
  const std::size_t row = std::size_t(ow) * c, padded_row = std::size_t(ow + 2 * border) * c;
  for (int y = oh - 1; y >= 0; --y)
    std::memmove(map + (y + border) * padded_row + std::size_t(border) * c, map + y * row, row * sizeof(float));
}

// Zeroes the border of a (oh + 2b) x (ow + 2b) x c map.
void zero_border(float* map, int oh, int ow, int c, int border) {
  const std::size_t padded_row = std::size_t(ow + 2 * border) * c, side = std::size_t(border) * c;
  std::fill(map, map + border * padded_row, 0.0f);
  std::fill(map + (oh + border) * padded_row, map + (oh + 2 * border) * padded_row, 0.0f);
  for (int y = border; y < oh + border; ++y) {
    float* line = map + y * padded_row;
    std::fill(line, line + side, 0.0f);
    std::fill(line + padded_row - side, line + padded_row, 0.0f);
  }
}


ConvAlgorithm fastest_algorithm(const ConvSpec& s, int h, int w) {
  // Each point's GEMM needs rows (tiles) to amortise streaming its slice of
  // the transformed weights, which are 4x (F(4,3)) or 1.8x (F(2,3)) the size
  // of the direct ones, and in the trunk at batch 1 those weights come from
  // memory. F(4,3) takes 56x56 and 28x28 maps (196 and 49 tiles); on 14x14
  // F(4,3) would have 16 tiles for 9.4 MB of weights per 256-channel layer,
  // F(2,3) has 49 tiles for 4.2 MB. On 7x7 F(2,3) has 16 tiles and 16.8 MB
  // of weights per 512-channel layer, which pays only because they are read
  // once in all (winograd_by_panels); F(4,3) there needs 37.7 MB per layer,
  // more than the L3 holds. bench_kernels times every 3x3 layer under every
  // algorithm, hot and cold (--benchmark_filter='^res[2-5]_3x3'; docs/kernels.md).
  if (1LL * winograd_tiles(h, 4) * winograd_tiles(w, 4) >= 49) return ConvAlgorithm::kWinogradF4;
  if (1LL * winograd_tiles(h, 2) * winograd_tiles(w, 2) >= 16) return ConvAlgorithm::kWinogradF2;
  return ConvAlgorithm::kGemm;
}

}  // namespace

ConvAlgorithm choose_algorithm(const ConvSpec& s, int h, int w, bool compact) {
  if (!winograd_shape(s)) return ConvAlgorithm::kGemm;
  const ConvAlgorithm fastest = fastest_algorithm(s, h, w);
  if (!compact || fastest == ConvAlgorithm::kGemm) return fastest;
  const int side = fastest == ConvAlgorithm::kWinogradF4 ? 6 : 4;  // transformed points per side
  const std::size_t bytes = sizeof(float) * std::size_t(side) * side * s.in_channels * s.out_channels;
  return bytes > kCompactWinogradBytes ? ConvAlgorithm::kGemm : fastest;
}

PackedConv::PackedConv(const ConvSpec& spec, Isa isa, ConvAlgorithm algorithm)
    : spec_(spec), impl_(std::make_unique<Impl>()) {
  const auto& s = spec_;
  require(s.in_channels > 0 && s.out_channels > 0 && s.kernel > 0 && s.stride > 0 && s.pad >= 0 && s.pad < s.kernel,
          ErrorKind::kInvalidArgument, "conv", "bad convolution shape");
  require(isa_supported(isa), ErrorKind::kUnsupported, "conv",
          std::string("instruction set ") + isa_name(isa) + " is not available here");
  const bool winograd = algorithm == ConvAlgorithm::kWinogradF2 || algorithm == ConvAlgorithm::kWinogradF4;
  require(!winograd || winograd_shape(s), ErrorKind::kInvalidArgument, "conv",
          "Winograd needs a 3x3 stride-1 pad-1 convolution");
  auto& m = *impl_;
  m.kernel = &micro_kernel(isa);
  const int nr = m.kernel->nr;
  m.panels = (s.out_channels + nr - 1) / nr;
  if (winograd || (algorithm == ConvAlgorithm::kAuto && winograd_shape(s))) {
    const int tile = algorithm == ConvAlgorithm::kWinogradF2 ? 2 : 4;
    m.winograd = std::make_unique<WinogradWeights>(tile, s.in_channels, s.out_channels, nr,
                                                   balanced_depth_block(*m.kernel, s.in_channels));
    return;
  }
  m.k = s.kernel * s.kernel * s.in_channels;
  m.kc_max = balanced_depth_block(*m.kernel, m.k);
  // An unpadded k x k layer may read its input in place (reads_input_by_tiles)
  // if its k blocks respect kernel rows.
  if (s.pad == 0 && s.kernel > 1)
    if (const int kc = segment_depth_block(*m.kernel, s.kernel, s.in_channels); kc > 0) m.kc_max = kc;
}

PackedConv::PackedConv(const ConvSpec& spec, std::span<const float> oihw, std::span<const float> bias, Isa isa,
                       ConvAlgorithm algorithm)
    : PackedConv(spec, isa, algorithm) {
  const auto& s = spec_;
  require(oihw.size() == std::size_t(s.out_channels) * s.in_channels * s.kernel * s.kernel &&
              bias.size() == std::size_t(s.out_channels),
          ErrorKind::kBadWeights, "conv", "weight or bias size does not match the layer");
  auto& m = *impl_;
  const int nr = m.kernel->nr;
  m.bias = allocate_floats(std::size_t(m.panels) * nr);
  std::fill(m.bias.get(), m.bias.get() + std::size_t(m.panels) * nr, 0.0f);
  std::copy(bias.begin(), bias.end(), m.bias.get());
  if (m.winograd) {
    m.winograd = std::make_unique<WinogradWeights>(m.winograd->m, s.in_channels, s.out_channels, oihw, nr,
                                                   m.winograd->kc_max);
    return;
  }
  const std::size_t taps = std::size_t(s.kernel) * s.kernel, packed = std::size_t(m.panels) * m.k * nr;
  m.weights = allocate_floats(packed);
  std::fill(m.weights.get(), m.weights.get() + packed, 0.0f);  // the padding columns of the last panel
  // Block by block and panel by panel, as packed_b_at lays them out, with
  // the tap and channel of k stepped along: no division per weight (a bank
  // of a million points is packed at every start).
  for (int k0 = 0; k0 < m.k; k0 += m.kc_max) {
    const int kc = std::min(m.kc_max, m.k - k0);
    for (int p = 0; p < m.panels; ++p) {
      float* dst = m.weights.get() + packed_b_offset(k0, kc, p, m.panels, nr);
      for (int j = 0; j < nr && p * nr + j < s.out_channels; ++j) {
        const float* src = oihw.data() + std::size_t(p * nr + j) * s.in_channels * taps;
        std::size_t tap = std::size_t(k0 / s.in_channels);
        int ci = k0 % s.in_channels;
        for (int kk = 0; kk < kc; ++kk) {
          dst[std::size_t(kk) * nr + j] = src[std::size_t(ci) * taps + tap];
          if (++ci == s.in_channels) ci = 0, ++tap;
        }
      }
    }
  }
}

std::vector<float> PackedConv::gemm_weights() const {
  const auto& m = *impl_;
  require(!m.winograd, ErrorKind::kInvalidArgument, "conv", "a Winograd layer's weights are transformed");
  const int nr = m.kernel->nr, out_channels = spec_.out_channels;
  std::vector<float> out(std::size_t(out_channels) * m.k);
  for (int k0 = 0; k0 < m.k; k0 += m.kc_max) {
    const int kc = std::min(m.kc_max, m.k - k0);
    for (int p = 0; p < m.panels; ++p) {
      const float* src = m.weights.get() + packed_b_offset(k0, kc, p, m.panels, nr);
      for (int j = 0; j < nr && p * nr + j < out_channels; ++j)
        for (int kk = 0; kk < kc; ++kk) out[std::size_t(p * nr + j) * m.k + k0 + kk] = src[std::size_t(kk) * nr + j];
    }
  }
  return out;
}

std::vector<std::span<const float>> PackedConv::packed_buffers() const {
  const auto& m = *impl_;
  const std::size_t bias = std::size_t(m.panels) * m.kernel->nr;
  if (m.winograd) return {{m.bias.get(), bias}, {m.winograd->u.get(), m.winograd->floats()}};
  return {{m.bias.get(), bias}, {m.weights.get(), bias * m.k}};
}

PackedConv PackedConv::from_packed(const ConvSpec& spec, Isa isa, ConvAlgorithm algorithm,
                                   std::span<const std::span<const float>> buffers) {
  PackedConv layer(spec, isa, algorithm);
  auto& m = *layer.impl_;
  const std::size_t bias = std::size_t(m.panels) * m.kernel->nr;
  const std::size_t weights = m.winograd ? m.winograd->floats() : bias * m.k;
  require(buffers.size() == 2 && buffers[0].size() == bias && buffers[1].size() == weights, ErrorKind::kBadWeights,
          "conv", "packed weights do not match the layer's layout");
  for (const auto& b : buffers)
    require(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0, ErrorKind::kBadWeights, "conv",
            "packed weights must start on a 64-byte line");
  m.bias = borrow_floats(buffers[0].data());
  (m.winograd ? m.winograd->u : m.weights) = borrow_floats(buffers[1].data());
  return layer;
}

PackedConv::PackedConv(PackedConv&&) noexcept = default;
PackedConv& PackedConv::operator=(PackedConv&&) noexcept = default;
PackedConv::~PackedConv() = default;

Isa PackedConv::isa() const { return impl_->kernel->isa; }
ConvAlgorithm PackedConv::algorithm() const {
  if (!impl_->winograd) return ConvAlgorithm::kGemm;
  return impl_->winograd->m == 2 ? ConvAlgorithm::kWinogradF2 : ConvAlgorithm::kWinogradF4;
}

std::size_t PackedConv::packed_weight_bytes() const {
  const auto& m = *impl_;
  const std::size_t columns = std::size_t(m.panels) * m.kernel->nr;
  return sizeof(float) * columns * (m.winograd ? std::size_t(m.winograd->points()) * spec_.in_channels : m.k);
}

std::size_t PackedConv::scratch_floats(int h, int w) const {
  const auto& mk = *impl_->kernel;
  if (impl_->winograd)
    return winograd_scratch_floats(impl_->winograd->m, spec_.in_channels, spec_.out_channels, h, w, mk.mr);
  const int ow = spec_.out_size(w);
  const bool in_place = reads_input_in_place(spec_) || reads_input_by_tiles(spec_, ow, mk, impl_->kc_max) ||
                        tiles_by_output_row(spec_, ow, mk, impl_->kc_max);
  return in_place ? 0 : std::size_t(max_block_rows(mk)) * gathered_row_stride(impl_->kc_max);
}

void PackedConv::forward(const float* input, int h, int w, float* output, const float* residual, bool relu,
                         const Scratch& scratch, int output_border) const {
  const auto& s = spec_;
  const auto& m = *impl_;
  const auto& mk = *m.kernel;
  require(h >= s.kernel - 2 * s.pad && w >= s.kernel - 2 * s.pad, ErrorKind::kInvalidArgument, "conv",
          "input smaller than the kernel");
  require(output_border >= 0 && (output_border == 0 || !residual), ErrorKind::kInvalidArgument, "conv",
          "an output border needs a non-negative width and no residual");
  const int oh = s.out_size(h), ow = s.out_size(w), pixels = oh * ow, cout = s.out_channels;
  // A bordered output is written tile by tile in place when every register
  // tile lies within one output row, or output row by output row
  // (tiles_by_output_row); otherwise (Winograd, other tile shapes) plainly
  // and then spread into the border, a copy of the output.
  const bool by_output_rows = !m.winograd && tiles_by_output_row(s, ow, mk, m.kc_max);
  if (output_border > 0 && (m.winograd || (!tiles_lie_in_rows(ow, mk) && !by_output_rows))) {
    forward(input, h, w, output, nullptr, relu, scratch);
    spread_into_border(output, oh, ow, cout, output_border);
    zero_border(output, oh, ow, cout, output_border);
    return;
  }
  if (m.winograd) {
    winograd_forward(*m.winograd, mk, input, h, w, output, m.bias.get(), residual, relu, scratch);
    return;
  }
  if (by_output_rows) {
    forward_by_output_rows(input, h, w, output, residual, relu, output_border);
    return;
  }
  const bool by_tiles = reads_input_by_tiles(s, ow, mk, m.kc_max);
  const bool in_place = reads_input_in_place(s) || by_tiles;
  const int segment = s.kernel * s.in_channels;  // one kernel row of a patch
  const GemmTiling tiling = plan_tiling(pixels, m.panels, mk, par::max_concurrency());
  const int ld = gathered_row_stride(m.kc_max);
  par::for_each_index(0, tiling.tiles(), [&](int tile) {
    const int m0 = (tile / tiling.n_blocks) * tiling.mc, rows = std::min(tiling.mc, pixels - m0);
    const int p0 = (tile % tiling.n_blocks) * tiling.panels_per_block;
    const int p1 = std::min(m.panels, p0 + tiling.panels_per_block);
    float* rows_buffer = in_place ? nullptr : scratch.slot(par::current_thread_index());
    BlockProduct op;
    op.rows = rows, op.cols = cout;
    op.a_row_stride = in_place ? std::ptrdiff_t(s.stride) * s.in_channels : ld;
    // Where each register tile's first pixel sits in the input (read in
    // place by tiles) and in a bordered output.
    const float* tile_rows[kMaxBlockTiles];
    float* c_tiles[kMaxBlockTiles];
    if (by_tiles || output_border > 0)
      for (int i = 0; i * mk.mr < rows; ++i) {
        const int pixel = m0 + i * mk.mr, oy = pixel / ow, ox = pixel % ow;
        if (by_tiles) tile_rows[i] = input + (std::size_t(oy) * s.stride * w + std::size_t(ox) * s.stride) * s.in_channels;
        if (output_border > 0)
          c_tiles[i] = output + (std::size_t(oy + output_border) * (ow + 2 * output_border) + ox + output_border) * cout;
      }
    if (by_tiles) {
      op.a_tiles = tile_rows;
      if (s.kernel > 1) op.a_segment_depth = segment, op.a_segment_stride = std::ptrdiff_t(w) * s.in_channels;
    }
    op.a_tile_stride = op.a_row_stride * mk.mr;
    op.c = output + std::size_t(m0) * cout;
    op.ldc = cout, op.c_tile_stride = std::ptrdiff_t(cout) * mk.mr;
    if (output_border > 0) op.c_tiles = c_tiles;
    op.bias = m.bias.get(), op.relu = relu;
    // A residual that is the output itself is already in C: every k block
    // accumulates onto it, so the epilogue reads each output line once
    // instead of reading the residual and then owning the output's lines too.
    const bool residual_in_output = residual == output;
    op.residual = residual && !residual_in_output ? residual + std::size_t(m0) * cout : nullptr;
    for (int k0 = 0; k0 < m.k; k0 += m.kc_max) {
      op.kc = std::min(m.kc_max, m.k - k0);
      if (by_tiles) {
        op.a_k_offset = in_place_depth_offset(s, w, k0);
      } else if (in_place) {
        op.a = input + std::size_t(m0) * s.in_channels + k0;
      } else {
        gather_patch_rows(s, input, h, w, m0, rows, k0, op.kc, rows_buffer, ld);
        op.a = rows_buffer;
      }
      op.b = m.weights.get() + packed_b_offset(k0, op.kc, 0, m.panels, mk.nr);
      op.accumulate = k0 > 0 || residual_in_output;
      op.finish = k0 + op.kc == m.k;
      multiply_block(mk, op, p0, p1);
    }
  });
  if (output_border > 0) zero_border(output, oh, ow, cout, output_border);
}

// tiles_by_output_row(): each output row of a row block is one run of
// register tiles from its first pixel, read in place (`stride` pixels apart,
// one segment per kernel row) and written in place, inside the border if
// any. Panels outside, rows inside, as multiply_block walks a block.
void PackedConv::forward_by_output_rows(const float* input, int h, int w, float* output, const float* residual,
                                        bool relu, int output_border) const {
  const auto& s = spec_;
  const auto& m = *impl_;
  const auto& mk = *m.kernel;
  const int oh = s.out_size(h), ow = s.out_size(w), cout = s.out_channels, cin = s.in_channels;
  const int row_len = padded_row(ow, mk);
  const GemmTiling tiling = plan_tiling(oh * row_len, m.panels, mk, par::max_concurrency(), row_len);
  const int rows_per_block = tiling.mc / row_len;
  const bool residual_in_output = residual == output;
  par::for_each_index(0, tiling.tiles(), [&](int tile) {
    const int y0 = (tile / tiling.n_blocks) * rows_per_block, y1 = std::min(oh, y0 + rows_per_block);
    const int p0 = (tile % tiling.n_blocks) * tiling.panels_per_block;
    const int p1 = std::min(m.panels, p0 + tiling.panels_per_block);
    BlockProduct op;
    op.rows = ow, op.cols = cout;
    op.a_row_stride = std::ptrdiff_t(s.stride) * cin, op.a_tile_stride = op.a_row_stride * mk.mr;
    if (s.kernel > 1) op.a_segment_depth = s.kernel * cin, op.a_segment_stride = std::ptrdiff_t(w) * cin;
    op.ldc = cout, op.c_tile_stride = std::ptrdiff_t(cout) * mk.mr;
    op.bias = m.bias.get(), op.relu = relu;
    for (int k0 = 0; k0 < m.k; k0 += m.kc_max) {
      op.kc = std::min(m.kc_max, m.k - k0);
      const std::ptrdiff_t k_offset = in_place_depth_offset(s, w, k0);
      op.b = m.weights.get() + packed_b_offset(k0, op.kc, 0, m.panels, mk.nr);
      op.accumulate = k0 > 0 || residual_in_output;
      op.finish = k0 + op.kc == m.k;
      for (int p = p0; p < p1; ++p)
        for (int oy = y0; oy < y1; ++oy) {
          op.a = input + std::size_t(oy) * s.stride * w * cin + k_offset;
          op.c = output + (std::size_t(oy + output_border) * (ow + 2 * output_border) + output_border) * cout;
          op.residual = residual && !residual_in_output ? residual + std::size_t(oy) * ow * cout : nullptr;
          multiply_block(mk, op, p, p + 1);
        }
    }
  });
  if (output_border > 0) zero_border(output, oh, ow, cout, output_border);
}

}  // namespace aoi::kernels
