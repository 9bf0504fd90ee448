// aoi::Engine: the object vendors embed. It owns the mapped weights and the
// trunk built from them, is immutable after construction, and is safe to call
// from several threads at once; each call works in its own scratch. The caller
// sets the thread count; no global state is touched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "image/preprocess.hpp"
#include "reference/gemm.hpp"
#include "kernels/cpu.hpp"
#include "nn/feature_recipe.hpp"
#include "nn/trunk.hpp"
#include "weights/weight_file.hpp"

namespace aoi {

// What runs the trunk. kAoi is the product: aoi's packed NHWC kernels
// (kernels/packed_conv.hpp). kEigen and kOpenBlas run the plain NCHW im2col +
// GEMM path through that library: a reference to compare speed and results.
enum class Backend { kAoi, kEigen, kOpenBlas };
Backend parse_backend(const std::string& name);  // aoi, eigen or openblas
const char* backend_name(Backend backend);

struct EngineOptions {
  int threads = 0;  // 0: all cores
  Backend backend = Backend::kAoi;
  // Instruction set of aoi's kernels; unset: the best this CPU runs, or
  // $AOI_ISA when set (kernels/cpu.hpp).
  std::optional<kernels::Isa> isa{};
  FeatureRecipe recipe = FeatureRecipe::kGlobal;  // nn/feature_recipe.hpp
  // Append the patch grid anomaly mode scores (anomaly/patch_features.hpp)
  // after the recipe's features.
  bool patches = false;
  // A folder of pack files (nn/pack_file.hpp): the trunk's packed weights are
  // mapped from the one matching these weights, ISA and input size, or packed
  // and written there for the next process. Empty: packed in memory only.
  std::filesystem::path pack_dir{};
  // Float32 weights: the direct GEMM instead of Winograd wherever Winograd's
  // transformed weights are large (kernels::choose_algorithm, `compact`):
  // less memory, a slower trunk.
  bool compact_weights = false;
  // Sees every bottleneck convolution's float32 input (calibration for
  // `aoi quantize`); float32 weights and backend aoi only. May be called
  // from several threads at once.
  nn::ConvInputTap conv_inputs{};
};

// $AOI_COMPACT_WEIGHTS is "1": EngineOptions::compact_weights for callers
// with no other way to ask (the C API, the CLI without --compact-weights).
bool compact_weights_from_environment();

class Engine {
 public:
  Engine(weights::WeightFile weights, EngineOptions options = {});
  static Engine load(const std::filesystem::path& weight_file, EngineOptions options = {});
  Engine(Engine&&) noexcept;
  ~Engine();

  const weights::WeightFile& weights() const;
  const weights::ModelDescription& description() const;
  int feature_dim() const;
  // Everything that decides a feature vector, as one 64-bit hash: the weights'
  // payload, their preprocessing (channel order, scale, mean, std, input
  // size, resize short side and default policy), the architecture (variant,
  // blocks) and kFeatureVersion. Feature caches and bundles key on it.
  std::uint64_t feature_identity() const;
  // Bumped whenever aoi's features change meaning for the same weights.
  static constexpr int kFeatureVersion = 2;
  int input_size() const;  // the side of the square input tensor (the recipe's: twice the file's for multiscale)
  // The weight file's preprocessing for this engine's input (input_size()
  // and resize_short scaled with the recipe).
  image::Preprocess preprocess() const;
  FeatureRecipe recipe() const;
  // The recipe's features come first (recipe_dim() of them); with
  // EngineOptions::patches, patch_count() patches of anomaly::kPatchDim
  // floats follow (else patch_count() is 0).
  int recipe_dim() const;
  int patch_count() const;
  int patch_grid_side() const;  // patches form a side x side grid, row by row
  int threads() const;
  Backend backend() const;
  kernels::Isa isa() const;  // of aoi's kernels (meaningful for Backend::kAoi)
  // The arithmetic the trunk's bottleneck layers run in: "int8", "bf16", or
  // "float32" (a float32 file, or a bf16 one widened where the path has no
  // bfloat16 arithmetic).
  const char* trunk_precision() const;

  // Decoded image to one input tensor (3 x input_size^2), using the file's
  // preprocessing; `policy` overrides the file's default resize policy.
  void prepare(const io::Image& image, const std::optional<image::Roi>& roi,
               std::optional<image::ResizePolicy> policy, const std::string& name, float* tensor) const;

  // n input tensors (n x 3 x S x S, contiguous) to n x feature_dim features.
  // After the first call, a call allocates no memory (the workspace is kept;
  // concurrent callers each get their own).
  void featurize(std::span<const float> inputs, int n, std::span<float> features,
                 const nn::StageTap& tap = {}) const;

  // ImageNet logits from features, when the weight file kept the classifier.
  bool has_classifier() const;
  std::vector<float> classify(std::span<const float> features) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace aoi
