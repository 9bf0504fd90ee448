#include "aoi/nn/engine.hpp"

#include <tbb/info.h>
#include <tbb/task_arena.h>

#include "aoi/core/error.hpp"
#include "aoi/core/tensor.hpp"

namespace aoi {

struct Engine::State {
  weights::WeightFile weights;
  nn::Trunk trunk;
  EngineOptions options;
  std::unique_ptr<tbb::task_arena> arena;

  State(weights::WeightFile w, EngineOptions o) : weights(std::move(w)), trunk(weights), options(o) {
    require(options.threads >= 0 && options.threads <= 1024, ErrorKind::kInvalidArgument, "engine",
            "threads must be 0 (all cores) or 1 to 1024");
    if (options.threads == 0) options.threads = tbb::info::default_concurrency();
    arena = std::make_unique<tbb::task_arena>(options.threads);
  }
};

Engine::Engine(weights::WeightFile weights, EngineOptions options)
    : state_(std::make_unique<State>(std::move(weights), options)) {}
Engine Engine::load(const std::filesystem::path& weight_file, EngineOptions options) {
  return Engine(weights::WeightFile::open(weight_file), options);
}
Engine::Engine(Engine&&) noexcept = default;
Engine::~Engine() = default;

const weights::WeightFile& Engine::weights() const { return state_->weights; }
const weights::ModelDescription& Engine::description() const { return state_->weights.description(); }
int Engine::feature_dim() const { return state_->trunk.feature_dim(); }
int Engine::input_size() const { return description().preprocess.input_size; }
int Engine::threads() const { return state_->options.threads; }

void Engine::prepare(const io::Image& image, const std::optional<image::Roi>& roi,
                     std::optional<image::ResizePolicy> policy, const std::string& name, float* tensor) const {
  image::Preprocess pre = description().preprocess;
  if (policy) pre.policy = *policy;
  image::to_tensor(image::fit_to_input(image, pre, roi, name), pre, tensor);
}

void Engine::featurize(std::span<const float> inputs, int n, std::span<float> features,
                       const nn::StageTap& tap) const {
  const int s = input_size();
  const std::size_t per_image = std::size_t(3) * s * s;
  require(n >= 0 && inputs.size() == per_image * std::size_t(n), ErrorKind::kInvalidArgument, "featurize",
          "expected " + std::to_string(n) + " inputs of 3x" + std::to_string(s) + "x" + std::to_string(s));
  require(features.size() == std::size_t(n) * feature_dim(), ErrorKind::kInvalidArgument, "featurize",
          "feature buffer must hold n x " + std::to_string(feature_dim()) + " floats");
  AlignedFloats workspace = allocate_floats(state_->trunk.workspace_floats(s, s));
  state_->arena->execute([&] {
    for (int i = 0; i < n; ++i)
      state_->trunk.forward(inputs.data() + per_image * i, s, s, features.data() + std::size_t(i) * feature_dim(),
                            workspace.get(), state_->options.backend, tap);
  });
}

bool Engine::has_classifier() const { return state_->weights.has("fc.weight") && state_->weights.has("fc.bias"); }

std::vector<float> Engine::classify(std::span<const float> features) const {
  require(has_classifier(), ErrorKind::kUnsupported, state_->weights.name(), "the weight file has no classifier (fc)");
  const auto& info = state_->weights.info("fc.weight");
  require(info.shape.size() == 2 && info.shape[1] == feature_dim(), ErrorKind::kBadWeights, state_->weights.name(),
          "fc.weight must be classes x features");
  const int classes = int(info.shape[0]), d = feature_dim();
  require(features.size() % d == 0, ErrorKind::kInvalidArgument, "classify", "features must be n x feature_dim");
  const auto w = state_->weights.data("fc.weight");
  const auto b = state_->weights.data("fc.bias", {classes});
  const std::size_t n = features.size() / d;
  std::vector<float> logits(n * classes);
  for (std::size_t i = 0; i < n; ++i)
    for (int c = 0; c < classes; ++c) {
      double acc = b[c];
      for (int j = 0; j < d; ++j) acc += double(w[std::size_t(c) * d + j]) * features[i * d + j];
      logits[i * classes + c] = float(acc);
    }
  return logits;
}

}  // namespace aoi
