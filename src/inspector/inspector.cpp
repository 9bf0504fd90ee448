// aoi::Inspector: bundle + trunk loaded once; pixels to a verdict. Scratch
// buffers (preprocessing, input tensors, features, probabilities) live in a
// pool, one set per concurrent caller ever seen, so steady-state calls
// allocate nothing.
#include "aoi/inspector.hpp"

#include <algorithm>
#include <future>
#include <mutex>
#include <vector>

#include "aoi/version.h"
#include "core/parallel.hpp"
#include "core/require.hpp"
#include "gbdt/model.hpp"
#include "image/preprocess.hpp"
#include "inspector/inspector_access.hpp"
#include "nn/pack_file.hpp"
#include "io/image.hpp"
#include "anomaly/patch_features.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/heatmap.hpp"
#include "pipeline/learner.hpp"
#include "weights/location.hpp"

namespace aoi {
namespace {

Verdict verdict_of(pipeline::Decision d) {
  switch (d) {
    case pipeline::Decision::kPass: return Verdict::kPass;
    case pipeline::Decision::kReview: return Verdict::kReview;
    default: return Verdict::kFail;
  }
}

struct Scratch {
  image::PrepareScratch prepare;
  std::vector<float> inputs, features, proba;
  pipeline::RowScorer::Scratch scoring;
};

// Each worker thread's scoring scratch for decide_rows. Out here, not a
// static local of a lambda in Inspector::State, which as a member of an
// exported class would be exported from libaoi.so.
pipeline::RowScorer::Scratch& worker_scoring_scratch() {
  thread_local pipeline::RowScorer::Scratch scratch;
  return scratch;
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kReview: return "review";
    case Verdict::kFail: return "fail";
  }
  return "?";
}

const char* version() { return AOI_VERSION_STRING; }

struct Inspector::State {
  State(std::filesystem::path bundle_file, pipeline::ModelBundle b, Engine e)
      : path(bundle_file.string()),
        bundle(std::move(b)),
        engine(std::move(e)),
        scorer(bundle.mode, bundle.model, bundle.banks, std::size_t(engine.recipe_dim()), engine.patch_count(),
               anomaly::kPatchDim) {
    preprocess = engine.preprocess();
    if (scorer.has_banks()) arena = std::make_unique<par::Arena>(engine.threads());
    preprocess.policy = bundle.policy;
    pool.reserve(64);
  }

  std::unique_ptr<Scratch> take() const {
    {
      std::lock_guard lock(mutex);
      if (!pool.empty()) {
        auto s = std::move(pool.back());
        pool.pop_back();
        return s;
      }
    }
    return std::make_unique<Scratch>();
  }
  void give_back(std::unique_ptr<Scratch> s) const {
    std::lock_guard lock(mutex);
    if (pool.size() < pool.capacity()) pool.push_back(std::move(s));
  }

  Inspection decide(const float* features, float* proba, pipeline::RowScorer::Scratch& scoring,
                    float* patch_distances = nullptr) const {
    scorer.score(features, proba, scoring, -1, patch_distances);
    const int classes = int(bundle.classes.size());
    const std::span<const float> p(proba, std::size_t(scorer.outputs()));
    Inspection r;
    r.p_fail = pipeline::fail_score_of(p, classes);
    r.verdict = verdict_of(bundle.thresholds.decide(r.p_fail));
    if (bundle.multiclass()) r.class_index = int(std::max_element(p.begin(), p.end()) - p.begin());
    return r;
  }

  // Prepares, featurizes and decides samples [0, n) into out.
  void run(std::span<const Sample> samples, std::span<Inspection> out, const char* name) const {
    const std::size_t n = samples.size();
    const int s = engine.input_size(), d = engine.feature_dim();
    const std::size_t per_image = std::size_t(3) * s * s;
    auto scratch = take();
    try {
      scratch->inputs.resize(per_image * n);
      scratch->features.resize(std::size_t(d) * n);
      scratch->proba.resize(std::size_t(scorer.outputs()));
      for (std::size_t i = 0; i < n; ++i) {
        const PixelView& v = samples[i].pixels;
        std::optional<image::Roi> roi;
        if (samples[i].region) {
          const Region& r = *samples[i].region;
          roi = image::Roi{r.x, r.y, r.width, r.height};
        }
        image::prepare_pixels(image::PixelView{v.data, v.width, v.height, v.stride_bytes, v.channels}, preprocess, roi,
                              name, scratch->prepare, scratch->inputs.data() + per_image * i);
      }
      engine.featurize(std::span<const float>(scratch->inputs.data(), per_image * n), int(n),
                       std::span<float>(scratch->features.data(), std::size_t(d) * n));
      decide_rows(scratch->features.data(), n, out.data(), scratch->scoring, scratch->proba.data());
    } catch (...) {
      give_back(std::move(scratch));
      throw;
    }
    give_back(std::move(scratch));
  }

  // Rows [0, n) of features into out: one after the other when deciding is
  // a GBDT walk, across the threads when it searches a memory bank.
  void decide_rows(const float* features, std::size_t n, Inspection* out, pipeline::RowScorer::Scratch& scoring,
                   float* proba) const {
    const std::size_t d = std::size_t(engine.feature_dim());
    if (!arena || n < 2) {
      for (std::size_t i = 0; i < n; ++i) out[i] = decide(features + d * i, proba, scoring);
      return;
    }
    arena->execute([&] {
      par::for_each_index(0, int(n), [&](int i) {
        float own[1000];  // Model::validate caps outputs at 1000 classes
        out[i] = decide(features + d * std::size_t(i), own, worker_scoring_scratch());
      });
    });
  }

  // One sample's inspection and heatmap (Inspector::explain).
  Inspection explain(const Sample& sample, Heatmap& map, const char* name) const {
    const int s = engine.input_size(), d = engine.feature_dim();
    const std::size_t per_image = std::size_t(3) * s * s;
    auto scratch = take();
    try {
      scratch->inputs.resize(per_image);
      scratch->features.resize(std::size_t(d));
      scratch->proba.resize(std::size_t(scorer.outputs()));
      const PixelView& v = sample.pixels;
      std::optional<image::Roi> roi;
      if (sample.region) roi = image::Roi{sample.region->x, sample.region->y, sample.region->width, sample.region->height};
      image::prepare_pixels(image::PixelView{v.data, v.width, v.height, v.stride_bytes, v.channels}, preprocess, roi,
                            name, scratch->prepare, scratch->inputs.data());
      pipeline::StageActivations activations;
      engine.featurize(scratch->inputs, 1, scratch->features, scorer.has_banks() ? nn::StageTap{} : activations.tap());
      Inspection r;
      if (scorer.has_banks()) {
        std::vector<float> distances(std::size_t(engine.patch_count()));
        r = decide(scratch->features.data(), scratch->proba.data(), scratch->scoring, distances.data());
        map = pipeline::bank_heatmap(distances, bundle.banks);
      } else {
        r = decide(scratch->features.data(), scratch->proba.data(), scratch->scoring);
        map = pipeline::pooling_heatmap(activations, engine.recipe(), scratch->features, [&](const float* features) {
          return decide(features, scratch->proba.data(), scratch->scoring).p_fail;
        });
      }
      give_back(std::move(scratch));
      return r;
    } catch (...) {
      give_back(std::move(scratch));
      throw;
    }
  }

  std::string path;
  pipeline::ModelBundle bundle;
  Engine engine;
  pipeline::RowScorer scorer;
  image::Preprocess preprocess;
  std::unique_ptr<par::Arena> arena;  // deciding rows in parallel (modes with a memory bank)
  // Scratch of finished calls, one per concurrent caller ever seen.
  mutable std::mutex mutex;
  mutable std::vector<std::unique_ptr<Scratch>> pool;
};

Inspector::Inspector(std::unique_ptr<State> state) : state_(std::move(state)) {}
Inspector::Inspector(Inspector&&) noexcept = default;
Inspector& Inspector::operator=(Inspector&&) noexcept = default;
Inspector::~Inspector() = default;

Inspector Inspector::open(const std::filesystem::path& bundle_path, const InspectorOptions& options) {
  require(options.threads >= 0 && options.threads <= 1024, ErrorKind::kInvalidArgument, "threads",
          "must be 0 (all cores) or 1 to 1024, not " + std::to_string(options.threads));
  EngineOptions eo;
  eo.threads = options.threads;
  eo.pack_dir = options.pack_dir.empty() ? nn::pack_dir_from_environment(false) : options.pack_dir;
  eo.compact_weights = options.compact_weights || compact_weights_from_environment();
  return InspectorAccess::open(bundle_path, options.weights, eo);
}

Inspector InspectorAccess::open(const std::filesystem::path& bundle_path, const std::filesystem::path& weights_path,
                                const EngineOptions& engine_options) {
  // The weight file is opened (mapped; its payload is hashed when the trunk
  // first reads it, which a trunk mapped from a pack file never does) on a
  // thread of its own while this one reads the bundle: neither needs the
  // other, and both are a start-up cost. The bundle's errors come first, as when they ran
  // one after the other; the future's destructor waits for the thread.
  std::future<weights::WeightFile> opening = std::async(std::launch::async, [&weights_path] {
    return weights::WeightFile::open(weights::resolve_location(weights_path));
  });
  pipeline::ModelBundle bundle = pipeline::load_bundle(bundle_path);
  EngineOptions options = engine_options;
  options.recipe = bundle.recipe;  // the features the model was trained on
  options.patches = pipeline::mode_uses_patches(bundle.mode);
  Engine engine(opening.get(), options);
  require(engine.weights().payload_hash() == bundle.weights_hash, ErrorKind::kBadWeights, bundle_path.string(),
          "trained on trunk weights " + pipeline::hash_hex(bundle.weights_hash) + " but " + engine.weights().name() +
              " holds " + pipeline::hash_hex(engine.weights().payload_hash()) +
              "; use the weights the model was trained on");
  // Same payload is not enough: other preprocessing or architecture in the
  // weight file's header gives other features.
  require(bundle.feature_identity == 0 || bundle.feature_identity == engine.feature_identity(), ErrorKind::kBadWeights,
          bundle_path.string(),
          "trained on features " + pipeline::hash_hex(bundle.feature_identity) + " but " + engine.weights().name() +
              " gives features " + pipeline::hash_hex(engine.feature_identity()) +
              " (same weights, other preprocessing or architecture in its header)");
  if (pipeline::mode_uses_gbdt(bundle.mode))
    bundle.model.check_feature_count(std::size_t(engine.recipe_dim()) + (bundle.mode == pipeline::Mode::kCombined),
                                     bundle_path.string());
  return Inspector(std::make_unique<Inspector::State>(bundle_path, std::move(bundle), std::move(engine)));
}

Inspection Inspector::inspect(const PixelView& pixels, const std::optional<Region>& region) const {
  Inspection out;
  const Sample sample{pixels, region};
  state_->run(std::span<const Sample>(&sample, 1), std::span<Inspection>(&out, 1), "pixels");
  return out;
}

Inspection Inspector::inspect_encoded(std::span<const std::uint8_t> bytes, const std::string& name,
                                      const std::optional<Region>& region) const {
  const io::Image image = io::decode_image(bytes, name);
  Inspection out;
  const Sample sample{PixelView{image.rgb.data(), image.width, image.height, std::ptrdiff_t(image.width) * 3, 3}, region};
  state_->run(std::span<const Sample>(&sample, 1), std::span<Inspection>(&out, 1), name.c_str());
  return out;
}

Inspection Inspector::inspect_file(const std::filesystem::path& path, const std::optional<Region>& region) const {
  const io::Image image = io::read_image(path);
  const std::string name = path.string();
  Inspection out;
  const Sample sample{PixelView{image.rgb.data(), image.width, image.height, std::ptrdiff_t(image.width) * 3, 3}, region};
  state_->run(std::span<const Sample>(&sample, 1), std::span<Inspection>(&out, 1), name.c_str());
  return out;
}

void Inspector::inspect_batch(std::span<const Sample> samples, std::span<Inspection> out) const {
  require(out.size() == samples.size(), ErrorKind::kInvalidArgument, "inspect_batch",
          "needs one output per sample");
  if (samples.empty()) return;
  state_->run(samples, out, "batch");
}

Inspection Inspector::explain(const PixelView& pixels, const std::optional<Region>& region, Heatmap& heatmap) const {
  return state_->explain(Sample{pixels, region}, heatmap, "pixels");
}

Inspection Inspector::explain_file(const std::filesystem::path& path, const std::optional<Region>& region,
                                  Heatmap& heatmap) const {
  const io::Image image = io::read_image(path);
  const std::string name = path.string();
  const Sample sample{PixelView{image.rgb.data(), image.width, image.height, std::ptrdiff_t(image.width) * 3, 3}, region};
  return state_->explain(sample, heatmap, name.c_str());
}

const std::string& Inspector::model_version() const { return state_->bundle.model_version; }
const std::string& Inspector::bundle_path() const { return state_->path; }
int Inspector::threads() const { return state_->engine.threads(); }
std::span<const std::string> Inspector::classes() const { return state_->bundle.classes; }

const Engine& InspectorAccess::engine(const Inspector& inspector) { return inspector.state_->engine; }
const pipeline::ModelBundle& InspectorAccess::bundle(const Inspector& inspector) { return inspector.state_->bundle; }
void InspectorAccess::decide_rows(const Inspector& inspector, const float* features, std::size_t n, Inspection* out) {
  float proba[1000];
  thread_local pipeline::RowScorer::Scratch scoring;
  inspector.state_->decide_rows(features, n, out, scoring, proba);
}

Inspection InspectorAccess::decide(const Inspector& inspector, const float* features) {
  // Called once per scored item, so no allocation: Model::validate caps a
  // model's outputs at 1000 classes.
  float proba[1000];
  thread_local pipeline::RowScorer::Scratch scoring;
  return inspector.state_->decide(features, proba, scoring);
}

}  // namespace aoi
