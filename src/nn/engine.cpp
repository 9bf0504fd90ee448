#include "nn/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

#include "core/require.hpp"
#include "core/parallel.hpp"
#include "core/tensor.hpp"
#include "anomaly/patch_features.hpp"
#include "nn/gem_pool.hpp"
#include "nn/pack_file.hpp"
#include "nn/packed_trunk.hpp"
#include "nn/reduced_trunk.hpp"
#include "aoi/version.h"

namespace aoi {
namespace {

// A bf16 file where the path has no bfloat16 arithmetic: its weights were
// widened to float32 when the file was opened, and it runs so. Said once per
// process, not per engine.
void note_bf16_widened(const std::string& file, std::optional<kernels::Isa> isa) {
  static std::once_flag said;
  std::call_once(said, [&] {
    const std::string why = isa ? std::string("no bf16 arithmetic on the ") + kernels::isa_name(*isa) + " path here"
                                : std::string("the reference backends run float32");
    std::fprintf(stderr, "aoi: note: %s holds bf16 weights; they run widened to float32 (%s)\n", file.c_str(),
                 why.c_str());
  });
}

}  // namespace

Backend parse_backend(const std::string& name) {
  for (Backend b : {Backend::kAoi, Backend::kEigen, Backend::kOpenBlas})
    if (name == backend_name(b)) return b;
  throw Error(ErrorKind::kInvalidArgument, "unknown backend '" + name + "': expected aoi, eigen or openblas");
}

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::kEigen: return "eigen";
    case Backend::kOpenBlas: return "openblas";
    default: return "aoi";
  }
}

bool compact_weights_from_environment() {
  const char* value = std::getenv("AOI_COMPACT_WEIGHTS");
  return value && std::string_view(value) == "1";
}

struct Engine::State {
  weights::WeightFile weights;
  nn::Trunk trunk;
  EngineOptions options;
  std::vector<nn::PackFile> pack_files;  // mapped weights the packed trunks borrow: outlive them
  std::unique_ptr<par::Arena> arena;
  std::optional<nn::PackedTrunk> packed;  // Backend::kAoi
  std::optional<nn::PackedTrunk> packed_large;  // Backend::kAoi, kMultiScale: the trunk at twice the size
  // An int8 weight file: these instead of packed and packed_large.
  std::optional<nn::QuantizedTrunk> quantized, quantized_large;
  // A bf16 weight file on a path with bfloat16 arithmetic: these instead.
  std::optional<nn::Bf16Trunk> bf16, bf16_large;
  kernels::GemmBackend reference_gemm = kernels::GemmBackend::kEigen;  // the other backends
  std::size_t workspace_floats = 0;
  // Recipe kStages: the output channels of res3 and res4 (tap stages 2, 3).
  int res3_channels = 0, res4_channels = 0, feature_dim = 0, recipe_dim = 0;
  // EngineOptions::patches: the projector and the grid it fills.
  std::optional<anomaly::PatchProjector> projector;
  int patch_side = 0;
  // Workspaces of finished calls, reused by the next: one per concurrent
  // caller ever seen, so steady-state calls allocate nothing.
  std::mutex pool_mutex;
  std::vector<AlignedFloats> pool;
  std::size_t workspaces_made = 0;  // under pool_mutex

  State(weights::WeightFile w, EngineOptions o) : weights(std::move(w)), trunk(weights), options(o) {
    require(options.threads >= 0 && options.threads <= 1024, ErrorKind::kInvalidArgument, "engine",
            "threads must be 0 (all cores) or 1 to 1024");
    if (options.threads == 0) options.threads = par::default_threads();
    feature_dim = trunk.feature_dim();
    if (recipe_pools_stages(options.recipe) || options.patches) {
      const auto& stages = trunk.stages();
      require(stages.size() == 4, ErrorKind::kUnsupported, weights.name(),
              "the stages recipe and anomaly mode need a trunk of four stages");
      res3_channels = stages[1].back().conv3.out_channels();
      res4_channels = stages[2].back().conv3.out_channels();
    }
    if (recipe_pools_stages(options.recipe)) feature_dim += res3_channels + res4_channels;
    feature_dim *= recipe_scale(options.recipe);  // kMultiScale: the same block at each size
    recipe_dim = feature_dim;
    if (options.patches) {
      projector.emplace(res3_channels, res4_channels);
      patch_side = anomaly::patch_grid_side(weights.description().preprocess.input_size);
      feature_dim += patch_side * patch_side * anomaly::kPatchDim;
    }
    arena = std::make_unique<par::Arena>(options.threads);
    const int s = weights.description().preprocess.input_size;
    if (options.backend == Backend::kAoi) {
      const kernels::Isa isa = options.isa ? *options.isa : kernels::best_isa();
      if (!kernels::isa_supported(isa))
        throw Error(ErrorKind::kUnsupported,
                    std::string("engine: instruction set ") + kernels::isa_name(isa) + " is not available on this CPU or build");
      if (weights.description().precision == "int8") {
        // In the engine's arena: packing runs on its threads, no more.
        arena->execute([&] { quantized.emplace(trunk, isa, s, &weights); });
        workspace_floats = quantized->workspace_floats(options.threads);
        if (recipe_scale(options.recipe) > 1) {
          arena->execute([&] { quantized_large.emplace(trunk, isa, s * recipe_scale(options.recipe), &weights); });
          workspace_floats = std::max(workspace_floats, quantized_large->workspace_floats(options.threads));
        }
      } else if (weights.description().precision == "bf16" && kernels::bf16_native(isa)) {
        arena->execute([&] { bf16.emplace(trunk, isa, s, &weights); });
        workspace_floats = bf16->workspace_floats(options.threads);
        if (recipe_scale(options.recipe) > 1) {
          arena->execute([&] { bf16_large.emplace(trunk, isa, s * recipe_scale(options.recipe), &weights); });
          workspace_floats = std::max(workspace_floats, bf16_large->workspace_floats(options.threads));
        }
      } else {
        if (weights.description().precision == "bf16") note_bf16_widened(weights.name(), isa);
        arena->execute([&] { packed.emplace(pack_trunk(isa, s)); });
        workspace_floats = packed->workspace_floats(options.threads);
        if (recipe_scale(options.recipe) > 1) {
          arena->execute([&] { packed_large.emplace(pack_trunk(isa, s * recipe_scale(options.recipe))); });
          workspace_floats = std::max(workspace_floats, packed_large->workspace_floats(options.threads));
        }
      }
    } else {
      require(weights.description().precision != "int8", ErrorKind::kUnsupported, weights.name(),
              "int8 weights run on aoi's own kernels only (backend aoi)");
      if (weights.description().precision == "bf16") note_bf16_widened(weights.name(), std::nullopt);
      reference_gemm = kernels::parse_gemm_backend(backend_name(options.backend));  // throws if this build lacks it
      const int large = s * recipe_scale(options.recipe);
      workspace_floats = trunk.workspace_floats(large, large);
    }
    // kMultiScale: the input at the base size, averaged from the large one.
    if (recipe_scale(options.recipe) > 1) workspace_floats += std::size_t(3) * s * s;
    pool.reserve(64);
  }

  // The trunk packed for inputs of `size`: borrowed from a matching pack file
  // in options.pack_dir, else packed here and, with a pack_dir, written there
  // for the next process (best effort: a folder that cannot be written costs
  // only the next start-up).
  nn::PackedTrunk pack_trunk(kernels::Isa isa, int size) {
    const bool compact = options.compact_weights;
    if (options.pack_dir.empty()) return nn::PackedTrunk(trunk, isa, size, &weights, compact);
    const auto& d = weights.description();
    std::string record = "aoi-pack";
    const auto field = [&record](const std::string& part) {
      record += '/';
      record += part;
    };
    field(std::to_string(nn::PackFile::kFormatVersion));
    field(AOI_VERSION_STRING);
    field(kernels::isa_name(isa));
    field(std::to_string(size));
    field(d.architecture);
    field(d.variant);
    for (int b : d.blocks) field(std::to_string(b));
    field(std::to_string(weights.payload_hash()));
    if (compact) field("compact");  // other layers' layouts: another file
    const std::uint64_t identity = XXH3_64bits(record.data(), record.size());
    char name[64];
    std::snprintf(name, sizeof name, "trunk-%016llx.aoipack", static_cast<unsigned long long>(identity));
    const std::filesystem::path path = options.pack_dir / name;
    if (auto file = nn::PackFile::open(path, identity)) {
      try {
        nn::PackedTrunk borrowed(trunk, isa, size, file->buffers(), &weights, compact);
        pack_files.push_back(std::move(*file));
        return borrowed;
      } catch (const Error&) {
        // Packed by a build with another layout: packed again and replaced.
      }
    }
    nn::PackedTrunk made(trunk, isa, size, &weights, compact);
    try {
      std::filesystem::create_directories(options.pack_dir);
      nn::PackFile::write(path, identity, made.packed_buffers());
    } catch (const std::exception&) {
    }
    return made;
  }

  AlignedFloats take_workspace() {
    {
      std::lock_guard lock(pool_mutex);
      if (!pool.empty()) {
        AlignedFloats w = std::move(pool.back());
        pool.pop_back();
        return w;
      }
      ++workspaces_made;
    }
    return allocate_floats(workspace_floats);
  }
  // Stocks the pool so that `count` images can run at once. Without it, a
  // first call whose images happened to run one after another would leave
  // one workspace, and a later call that runs them side by side would
  // allocate: the memory plan says only the first call may.
  void stock_workspaces(std::size_t count) {
    std::lock_guard lock(pool_mutex);
    while (workspaces_made < count && pool.size() < pool.capacity()) {
      pool.push_back(allocate_floats(workspace_floats));
      ++workspaces_made;
    }
  }
  // One image's features into out (Engine::featurize), with a workspace and
  // a patch scratch of its own.
  void featurize_one(const float* input, float* out, float* workspace, float* patch_scratch,
                     const nn::StageTap& tap) const;
  void give_back(AlignedFloats w) {
    std::lock_guard lock(pool_mutex);
    if (pool.size() < pool.capacity()) pool.push_back(std::move(w));
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
int Engine::feature_dim() const { return state_->feature_dim; }
FeatureRecipe Engine::recipe() const { return state_->options.recipe; }
int Engine::recipe_dim() const { return state_->recipe_dim; }
int Engine::patch_count() const { return state_->patch_side * state_->patch_side; }
int Engine::patch_grid_side() const { return state_->patch_side; }

std::uint64_t Engine::feature_identity() const {
  const auto& d = description();
  const auto& p = d.preprocess;
  std::string record = "aoi-feature-identity/";
  record.append(std::to_string(kFeatureVersion)).append("/").append(d.architecture).append("/").append(d.variant);
  for (int b : d.blocks) record.append("/").append(std::to_string(b));
  char numbers[256];
  std::snprintf(numbers, sizeof numbers, "/%016llx/%d/%.9g/%.9g,%.9g,%.9g/%.9g,%.9g,%.9g/%d/%d/%d",
                static_cast<unsigned long long>(state_->weights.payload_hash()), int(p.channel_order), p.scale,
                p.mean[0], p.mean[1], p.mean[2], p.std[0], p.std[1], p.std[2], p.input_size, p.resize_short,
                int(p.policy));
  record += numbers;
  // The global recipe adds nothing, so its identity (and every cache entry
  // and bundle made before recipes existed) stays what it was.
  if (state_->options.recipe != FeatureRecipe::kGlobal)
    record.append("/recipe=").append(feature_recipe_name(state_->options.recipe));
  if (state_->options.patches) record.append("/patches=1");
  return XXH3_64bits(record.data(), record.size());
}
int Engine::input_size() const { return description().preprocess.input_size * recipe_scale(recipe()); }
image::Preprocess Engine::preprocess() const {
  image::Preprocess p = description().preprocess;
  p.input_size *= recipe_scale(recipe());
  p.resize_short *= recipe_scale(recipe());
  return p;
}
int Engine::threads() const { return state_->options.threads; }
Backend Engine::backend() const { return state_->options.backend; }
const char* Engine::trunk_precision() const {
  return state_->quantized ? "int8" : state_->bf16 ? "bf16" : "float32";
}
kernels::Isa Engine::isa() const {
  if (state_->quantized) return state_->quantized->isa();
  if (state_->bf16) return state_->bf16->isa();
  return state_->packed ? state_->packed->isa() : kernels::Isa::kScalar;
}

void Engine::prepare(const io::Image& image, const std::optional<image::Roi>& roi,
                     std::optional<image::ResizePolicy> policy, const std::string& name, float* tensor) const {
  image::Preprocess pre = preprocess();
  if (policy) pre.policy = *policy;
  image::to_tensor(image::fit_to_input(image, pre, roi, name), pre, tensor);
}

void Engine::featurize(std::span<const float> inputs, int n, std::span<float> features,
                       const nn::StageTap& tap) const {
  const int s = input_size();
  const std::size_t per_image = std::size_t(3) * s * s;
  if (n < 0 || inputs.size() != per_image * std::size_t(n))
    throw Error(ErrorKind::kInvalidArgument, "featurize: expected " + std::to_string(n) + " inputs of 3x" +
                                                 std::to_string(s) + "x" + std::to_string(s));
  if (features.size() != std::size_t(n) * feature_dim())
    throw Error(ErrorKind::kInvalidArgument,
                "featurize: feature buffer must hold n x " + std::to_string(feature_dim()) + " floats");
  State& st = *state_;
  const std::size_t patch_floats = st.projector ? anomaly::PatchProjector::scratch_floats(st.patch_side) : 0;
  // A batch on several threads runs its images side by side, each with its
  // layers on one thread (the others join in only when idle), rather than
  // one image after another on all threads: small layers and the steps
  // between layers then keep no thread waiting. Results are the same bits:
  // a layer's split depends on the arena's size, not on who runs it. A
  // caller's tap keeps its images in order, on one image at a time.
  const bool side_by_side = n > 1 && st.options.threads > 1 && !tap && st.options.backend == Backend::kAoi;
  auto one = [&](int i) {
    AlignedFloats workspace = st.take_workspace();
    std::vector<float> patch_scratch(patch_floats);
    try {
      st.featurize_one(inputs.data() + per_image * i, features.data() + std::size_t(i) * feature_dim(),
                       workspace.get(), patch_scratch.data(), tap);
    } catch (...) {
      st.give_back(std::move(workspace));
      throw;
    }
    st.give_back(std::move(workspace));
  };
  if (side_by_side) st.stock_workspaces(std::size_t(std::min(n, st.options.threads)));
  st.arena->execute([&] {
    if (side_by_side) par::for_each_index(0, n, one);
    else
      for (int i = 0; i < n; ++i) one(i);
  });
}

void Engine::State::featurize_one(const float* input, float* out, float* workspace, float* patch_scratch,
                                  const nn::StageTap& tap) const {
  const State& st = *this;
  const int s = st.weights.description().preprocess.input_size * recipe_scale(st.options.recipe);
  // kStages: res3 and res4 are pooled into the features after res5's, from
  // the trunk's stage tap (the caller's tap, if any, still sees every stage);
  // with patches, the same taps fill the patch grid after the recipe's part.
  const bool stages = recipe_pools_stages(st.options.recipe);
  struct StagePooling {
    const nn::StageTap* user;
    float* extra;    // res3 then res4 (kStages)
    float* patches;  // the patch grid (EngineOptions::patches)
    int res3;
    bool stages;
    const State* st;
    float* scratch;
    float* pooled(int stage) const { return extra + (stage == 2 ? 0 : res3); }  // where a stage's pooling goes
  } pooling{&tap, nullptr, nullptr, st.res3_channels, stages, &st, patch_scratch};
  // kMultiScale runs the large input first with pooling alone, then the base
  // one with everything (patches and the caller's tap see the base size).
  // Stages 2 and 3 (res3, res4) alone, unless the caller's tap sees all.
  constexpr unsigned kRes3Res4 = (1u << 2) | (1u << 3);
  // Pooling alone: the large input's run, and the base one where no patches
  // and no caller's tap need more. It reads the NHWC trunks' activations as
  // they are.
  const nn::StageTap pool_tap = nn::StageTap::with_nhwc(
      [p = &pooling](int stage, const float* data, int channels, int height, int width) {
        nn::gem_pool_nchw(data, channels, height * width, p->pooled(stage));
      },
      [p = &pooling](int stage, const float* data, int channels, int height, int width) {
        nn::gem_pool_nhwc(data, channels, height * width, p->pooled(stage));
      },
      kRes3Res4);
  const nn::StageTap stage_tap([p = &pooling](int stage, const float* data, int channels, int height, int width) {
    if (p->stages && (stage == 2 || stage == 3))
      nn::gem_pool_nchw(data, channels, height * width, p->pooled(stage));
    if (p->patches && stage == 2) {
      require(height == p->st->patch_side && width == height, ErrorKind::kUnsupported, "engine",
              "res3 is not the patch grid's size");
      p->st->projector->add_res3(data, height, p->patches, p->scratch);
    }
    if (p->patches && stage == 3) {
      require(width == height, ErrorKind::kUnsupported, "engine", "res4 must be square");
      p->st->projector->add_res4(data, height, p->st->patch_side, p->patches, p->scratch);
    }
    if (*p->user) (*p->user)(stage, data, channels, height, width);
  }, kRes3Res4 | tap.stages());
  const nn::StageTap* use_tap = &stage_tap;                  // pooling and the patch grid or the caller's tap
  if (!stages && !st.projector) use_tap = &tap;              // the caller's tap alone
  else if (!st.projector && !tap) use_tap = &pool_tap;       // pooling alone
  const int base = st.weights.description().preprocess.input_size, scale = recipe_scale(st.options.recipe);
  const std::size_t block = std::size_t(st.recipe_dim / scale);  // one size's features
  float* small = scale > 1 ? workspace + (st.workspace_floats - std::size_t(3) * base * base) : nullptr;
  auto run = [&](const float* in, int side, float* to, const nn::StageTap& use) {
    pooling.extra = to + st.trunk.feature_dim();
    const nn::PackedTrunk* trunk = side == base ? (st.packed ? &*st.packed : nullptr)
                                                : (st.packed_large ? &*st.packed_large : nullptr);
    const nn::QuantizedTrunk* q = side == base ? (st.quantized ? &*st.quantized : nullptr)
                                               : (st.quantized_large ? &*st.quantized_large : nullptr);
    const nn::Bf16Trunk* h = side == base ? (st.bf16 ? &*st.bf16 : nullptr) : (st.bf16_large ? &*st.bf16_large : nullptr);
    if (q)
      q->forward(in, to, workspace, st.options.threads, use);
    else if (h)
      h->forward(in, to, workspace, st.options.threads, use);
    else if (trunk)
      trunk->forward(in, to, workspace, st.options.threads, use, {}, st.options.conv_inputs);
    else
      st.trunk.forward(in, side, side, to, workspace, st.reference_gemm, use);
  };
  if (scale > 1) {
    pooling.patches = nullptr;
    run(input, s, out + block, pool_tap);
    // The base view: each output pixel the mean of the scale x scale input
    // pixels under it (an area resize, exact for a factor of 2).
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < base; ++y)
        for (int x = 0; x < base; ++x) {
          float sum = 0;
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx)
              sum += input[(std::size_t(c) * s + y * scale + dy) * s + x * scale + dx];
          small[(std::size_t(c) * base + y) * base + x] = sum / float(scale * scale);
        }
    input = small;
  }
  pooling.patches = st.projector ? out + st.recipe_dim : nullptr;
  run(input, base, out, *use_tap);
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
