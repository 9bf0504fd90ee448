#include "reference/conv2d.hpp"

#include <algorithm>

#include "core/require.hpp"
#include "core/parallel.hpp"

namespace aoi::nn {
namespace {
// Output tile of one GEMM call: big enough to amortise packing, small enough
// to give two or more tiles on the 7x7 layers.
constexpr int kTileRows = 128;
constexpr int kTileCols = 512;
}  // namespace

Conv2d::Conv2d(std::string name, std::span<const float> weight, std::span<const float> bias, int in_channels,
               int out_channels, int kernel, int stride, int pad)
    : name_(std::move(name)), weight_(weight), bias_(bias), in_channels_(in_channels),
      out_channels_(out_channels), kernel_(kernel), stride_(stride), pad_(pad) {
  require(weight_.size() == std::size_t(out_channels) * in_channels * kernel * kernel && bias_.size() == std::size_t(out_channels),
          ErrorKind::kBadWeights, name_, "weight or bias size does not match the layer");
}

Conv2d::Conv2d(std::string name, QuantizedWeights quantized, std::span<const float> bias, int in_channels,
               int out_channels, int kernel, int stride, int pad)
    : name_(std::move(name)), quantized_(quantized), bias_(bias), in_channels_(in_channels),
      out_channels_(out_channels), kernel_(kernel), stride_(stride), pad_(pad) {
  require(quantized_.weight.size() == std::size_t(out_channels) * in_channels * kernel * kernel &&
              quantized_.weight_scale.size() == std::size_t(out_channels) && bias_.size() == std::size_t(out_channels),
          ErrorKind::kBadWeights, name_, "weight, scale or bias size does not match the layer");
}

Conv2d::Conv2d(std::string name, Bf16Weights bf16, std::span<const float> bias, int in_channels, int out_channels,
               int kernel, int stride, int pad)
    : name_(std::move(name)), bf16_(std::move(bf16)), bias_(bias), in_channels_(in_channels),
      out_channels_(out_channels), kernel_(kernel), stride_(stride), pad_(pad) {
  require(bf16_.raw.size() == std::size_t(out_channels) * in_channels * kernel * kernel &&
              bias_.size() == std::size_t(out_channels) && bf16_.widened,
          ErrorKind::kBadWeights, name_, "weight or bias size does not match the layer");
}

kernels::ConvGeometry Conv2d::geometry(int in_height, int in_width) const {
  return {in_channels_, in_height, in_width, out_channels_, kernel_, kernel_, stride_, pad_};
}

std::size_t Conv2d::scratch_floats(int in_height, int in_width) const {
  const auto g = geometry(in_height, in_width);
  return g.is_pointwise() ? 0 : std::size_t(g.patch_size()) * g.out_pixels();
}

void Conv2d::forward(const float* input, int in_height, int in_width, float* output, const float* residual,
                     bool relu, const ForwardContext& ctx) const {
  checked();
  require(!quantized(), ErrorKind::kUnsupported, name_, "int8 weights run on aoi's own kernels only (backend aoi)");
  const auto g = geometry(in_height, in_width);
  const int m = g.out_channels, n = g.out_pixels(), k = g.patch_size();
  const float* weights = weight().data();
  const float* columns = input;
  if (!g.is_pointwise()) {
    par::for_each_range(0, std::size_t(k), 16, [&](std::size_t r0, std::size_t r1) {
      kernels::im2col(g, input, ctx.columns, int(r0), int(r1));
    });
    columns = ctx.columns;
  }
  // Tiles of C, row-major over (row block, column block).
  const int row_blocks = (m + kTileRows - 1) / kTileRows, col_blocks = (n + kTileCols - 1) / kTileCols;
  par::for_each_index(0, row_blocks * col_blocks, [&](int tile) {
    const int r0 = (tile / col_blocks) * kTileRows, r1 = std::min(m, r0 + kTileRows);
    const int c0 = (tile % col_blocks) * kTileCols, c1 = std::min(n, c0 + kTileCols);
    kernels::sgemm(ctx.backend, r1 - r0, c1 - c0, k, weights + std::size_t(r0) * k, k, columns + c0, n,
                   output + std::size_t(r0) * n + c0, n);
    kernels::bias_residual_relu(output, n, r0, r1, c0, c1, bias_.data(), residual, relu);
  });
}

}  // namespace aoi::nn
