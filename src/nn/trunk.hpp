// The ResNet trunk (v1 or v1.5, any number of bottleneck blocks per stage)
// built from a weight file's header and tensors, ending in global average
// pooling. It holds only borrowed weights and is immutable after construction.
#pragma once

#include <functional>
#include <type_traits>
#include <optional>
#include <vector>

#include "reference/conv2d.hpp"
#include "weights/weight_file.hpp"

namespace aoi::nn {

struct Bottleneck {
  Conv2d conv1, conv2, conv3;
  std::optional<Conv2d> downsample;
};

// Called after the stem's max pool (stage 0) and after each stage (1..4) with
// that activation (channels x height x width) of the current image: each
// stage in `stages` (bit k: stage k), by default all. The NHWC trunks
// convert only those stages to NCHW for it, unless it also has an NHWC
// function (with_nhwc): they call that one with their activation as it is
// (height x width x channels), the NCHW trunk the first.
class StageTap {
 public:
  using Function = std::function<void(int stage, const float* data, int channels, int height, int width)>;
  static constexpr unsigned kAllStages = ~0u;
  StageTap() = default;
  template <class F, class = std::enable_if_t<std::is_invocable_v<F&, int, const float*, int, int, int>>>
  StageTap(F f, unsigned stages = kAllStages) : fn_(std::move(f)), stages_(stages) {}
  static StageTap with_nhwc(Function nchw, Function nhwc, unsigned stages) {
    StageTap tap(std::move(nchw), stages);
    tap.nhwc_ = std::move(nhwc);
    return tap;
  }
  explicit operator bool() const { return bool(fn_); }
  bool wants(int stage) const { return fn_ && stage >= 0 && stage < 32 && ((stages_ >> stage) & 1u); }
  unsigned stages() const { return fn_ ? stages_ : 0u; }
  void operator()(int stage, const float* data, int channels, int height, int width) const {
    if (wants(stage)) fn_(stage, data, channels, height, width);
  }
  bool takes_nhwc() const { return bool(nhwc_); }
  void nhwc(int stage, const float* data, int channels, int height, int width) const {
    if (wants(stage)) nhwc_(stage, data, channels, height, width);
  }

 private:
  Function fn_, nhwc_;
  unsigned stages_ = kAllStages;
};

// One step of the packed trunks' forward, for per-layer profiling: `layer` is
// "input" (the padded NHWC conversion), "stem", "max_pool", "conv1",
// "conv2", "downsample", "conv3" or "global_pool"; a block's layers carry
// its stage (2-5, as res2-res5) and block index, the others stage 0.
struct TrunkStep {
  const char* layer;
  int stage, block;
};
// Called after each step with the seconds it took (bench/trunk_steps.cpp).
using StepTimer = std::function<void(const TrunkStep& step, double seconds)>;
// Called before each bottleneck convolution with its float32 input (NHWC,
// `count` values; conv1's is the block input, which the downsample reads
// too): what `aoi quantize` calibrates the int8 input steps on.
using ConvInputTap = std::function<void(const TrunkStep& step, const float* nhwc, std::size_t count)>;

class Trunk {
 public:
  explicit Trunk(const weights::WeightFile& file);

  int feature_dim() const { return feature_dim_; }
  const Conv2d& stem() const { return *stem_; }
  const std::vector<std::vector<Bottleneck>>& stages() const { return stages_; }
  // The fixed parts of the architecture, shared with the NHWC trunk.
  static constexpr int kPoolKernel = 3, kPoolStride = 2, kPoolPad = 1;
  static int pooled_size(int size) { return (size + 2 * kPoolPad - kPoolKernel) / kPoolStride + 1; }
  // Floats of scratch one image of in_height x in_width needs.
  std::size_t workspace_floats(int in_height, int in_width) const;

  // One image (3 x h x w) to feature_dim features.
  void forward(const float* image, int height, int width, float* features, float* workspace,
               kernels::GemmBackend backend, const StageTap& tap = {}) const;

 private:
  struct Plan {
    std::size_t activation = 0, columns = 0;
  };
  Plan plan(int in_height, int in_width) const;

  std::optional<Conv2d> stem_;
  std::vector<std::vector<Bottleneck>> stages_;
  int feature_dim_ = 0;
};

}  // namespace aoi::nn
