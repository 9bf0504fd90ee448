// ResNet bottleneck graph. The architecture family is fixed here (7x7/2 stem,
// 3x3/2 max pool, bottleneck stages, each first block strided but the first
// stage's); the variant, block counts and every width come from the file.
#include "nn/trunk.hpp"

#include <optional>

#include <algorithm>
#include <cmath>

#include "core/require.hpp"

namespace aoi::nn {
namespace {

constexpr int kStemStride = 2, kStemPad = 3, kStemKernel = 7;

constexpr std::int64_t kMaxChannels = 1 << 16;

// Every layer's shape is checked against the network description here, once,
// at load: a file that passes builds a trunk whose kernels and buffers agree.
// `kernel` and `in_channels` are what the architecture requires (0: any).
Conv2d load_conv(const weights::WeightFile& f, const std::string& name, int stride, int kernel, int in_channels = 0) {
  const auto& info = f.info(name + ".weight");
  if (info.shape.size() != 4 || info.shape[2] != info.shape[3] || info.shape[2] % 2 == 0)
    throw Error(ErrorKind::kBadWeights, f.name() + ": " + name + ".weight must be OIHW with an odd square kernel");
  for (const auto dim : info.shape)
    require(dim >= 1 && dim <= kMaxChannels, ErrorKind::kBadWeights, f.name(),
            name + ".weight has a dimension of " + std::to_string(dim) + " (expected 1 to " +
                std::to_string(kMaxChannels) + ")");
  const int out = int(info.shape[0]), in = int(info.shape[1]), k = int(info.shape[2]);
  require(k == kernel, ErrorKind::kBadWeights, f.name(),
          name + " has a " + std::to_string(k) + "x" + std::to_string(k) + " kernel; this ResNet layer is " +
              std::to_string(kernel) + "x" + std::to_string(kernel));
  require(in_channels == 0 || in == in_channels, ErrorKind::kBadWeights, f.name(),
          name + " takes " + std::to_string(in) + " input channels; it must take " + std::to_string(in_channels) +
              " (the RGB image)");
  const int pad = name == "stem" ? kStemPad : k / 2;
  if (info.dtype == weights::DType::kS8) {
    const auto input_scale = f.data(name + ".input_scale", {1});
    require(std::isfinite(input_scale[0]) && input_scale[0] > 0, ErrorKind::kBadWeights, f.name(),
            name + ".input_scale must be a positive number");
    const QuantizedWeights q{f.data_s8(name + ".weight"), f.data(name + ".weight_scale", {out}),
                                      input_scale[0]};
    return Conv2d(name, q, f.data(name + ".bias", {out}), in, out, k, stride, pad);
  }
  // The spans are borrowed unchecked, and the layer checks the file's payload
  // when first read: a trunk mapped from a pack file never reads them, and
  // then no start hashes the whole weight file.
  constexpr auto kByCaller = weights::WeightFile::Check::kByCaller;
  const auto bias = f.data(name + ".bias", {out}, kByCaller);
  std::optional<Conv2d> conv;
  if (info.dtype == weights::DType::kBF16)
    conv.emplace(name, Bf16Weights{f.data_bf16(name + ".weight", {}, kByCaller), f.widened(name + ".weight")}, bias,
                 in, out, k, stride, pad);
  else
    conv.emplace(name, f.data(name + ".weight", {}, kByCaller), bias, in, out, k, stride, pad);
  conv->set_read_check(f.read_check());
  return std::move(*conv);
}

}  // namespace

Trunk::Trunk(const weights::WeightFile& f) {
  const auto& d = f.description();
  require(!d.blocks.empty(), ErrorKind::kBadWeights, f.name(), "the network description names no stages");
  stem_.emplace(load_conv(f, "stem", kStemStride, kStemKernel, 3));
  int channels = stem_->out_channels();
  for (std::size_t s = 0; s < d.blocks.size(); ++s) {
    std::vector<Bottleneck> blocks;
    require(d.blocks[s] >= 1, ErrorKind::kBadWeights, f.name(), "stage " + std::to_string(s + 1) + " has no blocks");
    for (int b = 0; b < d.blocks[s]; ++b) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      const int stride = (s > 0 && b == 0) ? 2 : 1;
      const bool stride_on_1x1 = d.variant == "v1";
      Bottleneck block{load_conv(f, p + "conv1", stride_on_1x1 ? stride : 1, 1),
                       load_conv(f, p + "conv2", stride_on_1x1 ? 1 : stride, 3), load_conv(f, p + "conv3", 1, 1),
                       std::nullopt};
      if (f.has(p + "downsample.weight")) block.downsample.emplace(load_conv(f, p + "downsample", stride, 1));
      const bool chained = block.conv1.in_channels() == channels &&
                           block.conv2.in_channels() == block.conv1.out_channels() &&
                           block.conv3.in_channels() == block.conv2.out_channels() &&
                           (!block.downsample || (block.downsample->in_channels() == channels &&
                                                  block.downsample->out_channels() == block.conv3.out_channels()));
      require(chained, ErrorKind::kBadWeights, f.name(), "channel counts of block " + p + " do not chain");
      require(block.downsample || (stride == 1 && channels == block.conv3.out_channels()), ErrorKind::kBadWeights,
              f.name(), "block " + p + " changes shape but has no downsample tensors");
      channels = block.conv3.out_channels();
      blocks.push_back(std::move(block));
    }
    stages_.push_back(std::move(blocks));
  }
  feature_dim_ = channels;
}

Trunk::Plan Trunk::plan(int h, int w) const {
  Plan p;
  auto visit = [&](const Conv2d& conv, int& ch, int& hh, int& ww) {
    const auto g = conv.geometry(hh, ww);
    p.columns = std::max(p.columns, conv.scratch_floats(hh, ww));
    ch = g.out_channels, hh = g.out_height(), ww = g.out_width();
    p.activation = std::max(p.activation, std::size_t(ch) * hh * ww);
  };
  int c = 3;
  visit(*stem_, c, h, w);
  h = pooled_size(h), w = pooled_size(w);
  for (const auto& stage : stages_)
    for (const auto& b : stage) {
      int c0 = c, h0 = h, w0 = w;
      if (b.downsample) visit(*b.downsample, c0, h0, w0);
      visit(b.conv1, c, h, w);
      visit(b.conv2, c, h, w);
      visit(b.conv3, c, h, w);
    }
  return p;
}

std::size_t Trunk::workspace_floats(int h, int w) const {
  const Plan p = plan(h, w);
  return 4 * p.activation + p.columns;
}

void Trunk::forward(const float* image, int h, int w, float* features, float* workspace,
                    kernels::GemmBackend backend, const StageTap& tap) const {
  require(h >= 32 && w >= 32, ErrorKind::kInvalidArgument, "trunk", "input must be at least 32x32");
  const Plan p = plan(h, w);
  // Four activation buffers rotate through each bottleneck: x (block input and
  // identity), t1, t2, y (block output), then x and y swap.
  float* x = workspace;
  float* t1 = x + p.activation;
  float* t2 = t1 + p.activation;
  float* y = t2 + p.activation;
  const ForwardContext ctx{backend, y + p.activation};

  auto g = stem_->geometry(h, w);
  stem_->forward(image, h, w, t1, nullptr, true, ctx);
  int c = g.out_channels;
  h = g.out_height(), w = g.out_width();
  kernels::max_pool(t1, c, h, w, kPoolKernel, kPoolStride, kPoolPad, x);
  h = pooled_size(h), w = pooled_size(w);
  if (tap) tap(0, x, c, h, w);

  for (std::size_t s = 0; s < stages_.size(); ++s) {
    for (const auto& b : stages_[s]) {
      const auto g1 = b.conv1.geometry(h, w);
      b.conv1.forward(x, h, w, t1, nullptr, true, ctx);
      const auto g2 = b.conv2.geometry(g1.out_height(), g1.out_width());
      b.conv2.forward(t1, g1.out_height(), g1.out_width(), t2, nullptr, true, ctx);
      const float* identity = x;
      if (b.downsample) {
        b.downsample->forward(x, h, w, t1, nullptr, false, ctx);  // t1 is free again
        identity = t1;
      }
      b.conv3.forward(t2, g2.out_height(), g2.out_width(), y, identity, true, ctx);
      std::swap(x, y);
      c = b.conv3.out_channels(), h = g2.out_height(), w = g2.out_width();
    }
    if (tap) tap(int(s) + 1, x, c, h, w);
  }
  kernels::global_average_pool(x, c, h * w, features);
}

}  // namespace aoi::nn
