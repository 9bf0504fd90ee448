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

#include "aoi/image/preprocess.hpp"
#include "aoi/kernels/gemm.hpp"
#include "aoi/nn/trunk.hpp"
#include "aoi/weights/weight_file.hpp"

namespace aoi {

struct EngineOptions {
  int threads = 0;  // 0: all cores
  kernels::GemmBackend backend = kernels::GemmBackend::kEigen;
};

class Engine {
 public:
  Engine(weights::WeightFile weights, EngineOptions options = {});
  static Engine load(const std::filesystem::path& weight_file, EngineOptions options = {});
  Engine(Engine&&) noexcept;
  ~Engine();

  const weights::WeightFile& weights() const;
  const weights::ModelDescription& description() const;
  int feature_dim() const;
  int input_size() const;  // the side of the square input tensor
  int threads() const;

  // Decoded image to one input tensor (3 x input_size^2), using the file's
  // preprocessing; `policy` overrides the file's default resize policy.
  void prepare(const io::Image& image, const std::optional<image::Roi>& roi,
               std::optional<image::ResizePolicy> policy, const std::string& name, float* tensor) const;

  // n input tensors (n x 3 x S x S, contiguous) to n x feature_dim features.
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
