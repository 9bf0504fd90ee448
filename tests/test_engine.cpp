// The engine on a small random ResNet (converted from a torchvision-style
// safetensors file) against a naive float64 forward pass with batch norm
// unfolded: exercises the converter, the v1.5 graph, batches and threads.
#include <gtest/gtest.h>
#include "core/parallel.hpp"

#include <cmath>
#include <random>
#include <string>
#include <thread>

#include "core/require.hpp"
#include "kernels/cpu.hpp"
#include "nn/engine.hpp"
#include "nn/packed_trunk.hpp"
#include "nn/trunk.hpp"
#include "support/naive.hpp"
#include "support/random_resnet.hpp"

namespace aoi::test {
namespace {

constexpr int kSize = 64;

Engine tiny_engine(const TinyResNetSpec& spec, int threads) {
  auto bytes = tiny_weight_file(spec, kSize, std::filesystem::temp_directory_path() / "aoi_test_engine");
  return Engine(weights::WeightFile::from_bytes(std::move(bytes), "tiny"), EngineOptions{threads});
}

TEST(Engine, TinyResNetMatchesNaiveReferenceForABatch) {
  TinyResNetSpec spec;
  const Engine engine = tiny_engine(spec, 2);
  const auto state = make_torchvision_state(spec);
  ASSERT_EQ(engine.feature_dim(), spec.widths.back() * 4);
  std::mt19937 rng(11);
  const int n = 3;
  const std::size_t per = 3 * kSize * kSize;
  const auto inputs = random_floats(per * n, rng, -2, 2);
  std::vector<float> features(std::size_t(n) * engine.feature_dim());
  engine.featurize(inputs, n, features);
  for (int i = 0; i < n; ++i) {
    const std::vector<float> one(inputs.begin() + per * i, inputs.begin() + per * (i + 1));
    const auto expected = reference_forward(state, spec, one, kSize, kSize);
    const std::vector<float> got(features.begin() + i * engine.feature_dim(), features.begin() + (i + 1) * engine.feature_dim());
    EXPECT_LT(relative_l2(got, expected), 1e-5) << "image " << i;
  }
}

TEST(PackedTrunk, StepTimerSeesEveryStepInOrderAndChangesNoResult) {
  TinyResNetSpec spec;
  const auto file = weights::WeightFile::from_bytes(
      tiny_weight_file(spec, kSize, std::filesystem::temp_directory_path() / "aoi_test_steps"), "tiny");
  const nn::Trunk trunk(file);
  const nn::PackedTrunk packed(trunk, kernels::best_isa(), kSize);
  auto workspace = allocate_floats(packed.workspace_floats(1));
  std::mt19937 rng(12);
  const auto input = random_floats(3 * kSize * kSize, rng, -2, 2);
  std::vector<float> plain(std::size_t(packed.feature_dim())), timed(plain.size());
  std::vector<std::string> seen;
  const nn::StepTimer timer = [&](const nn::TrunkStep& step, double seconds) {
    EXPECT_GE(seconds, 0.0);
    seen.push_back(std::string(step.layer) + "@" + std::to_string(step.stage) + "." + std::to_string(step.block));
  };
  aoi::par::Arena(1).execute([&] {
    packed.forward(input.data(), plain.data(), workspace.get(), 1);
    packed.forward(input.data(), timed.data(), workspace.get(), 1, {}, timer);
  });
  EXPECT_EQ(plain, timed);

  std::vector<std::string> expected{"input@0.0", "stem@0.0", "max_pool@0.0"};
  for (std::size_t s = 0; s < trunk.stages().size(); ++s)
    for (std::size_t b = 0; b < trunk.stages()[s].size(); ++b) {
      const std::string at = "@" + std::to_string(s + 2) + "." + std::to_string(b);
      expected.push_back("conv1" + at);
      expected.push_back("conv2" + at);
      if (trunk.stages()[s][b].downsample) expected.push_back("downsample" + at);
      expected.push_back("conv3" + at);
    }
  expected.push_back("global_pool@0.0");
  EXPECT_EQ(seen, expected);
}

TEST(Engine, IdenticalResultsForEveryThreadCountAndConcurrentCallers) {
  TinyResNetSpec spec;
  spec.seed = 2;
  std::mt19937 rng(12);
  const auto inputs = random_floats(2 * 3 * kSize * kSize, rng, -2, 2);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2, 4}) {
    const Engine engine = tiny_engine(spec, threads);
    std::vector<float> f(2 * engine.feature_dim());
    engine.featurize(inputs, 2, f);
    results.push_back(f);
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);

  // One engine shared by several threads at once gives the same answers.
  const Engine shared = tiny_engine(spec, 2);
  std::vector<std::vector<float>> outs(4, std::vector<float>(2 * shared.feature_dim()));
  std::vector<std::thread> pool;
  for (auto& out : outs) pool.emplace_back([&] { shared.featurize(inputs, 2, out); });
  for (auto& t : pool) t.join();
  for (const auto& out : outs) EXPECT_EQ(out, results[0]);
}

TEST(Engine, RejectsBuffersOfTheWrongSize) {
  const Engine engine = tiny_engine(TinyResNetSpec{}, 1);
  std::vector<float> in(3 * kSize * kSize), out(engine.feature_dim());
  EXPECT_THROW(engine.featurize({in.data(), in.size() - 1}, 1, out), Error);
  EXPECT_THROW(engine.featurize(in, 1, {out.data(), out.size() - 1}), Error);
}

TEST(Engine, ClassifierLogitsAreTheAffineMapOfFeatures) {
  TinyResNetSpec spec;
  const Engine engine = tiny_engine(spec, 1);
  const auto state = make_torchvision_state(spec);
  std::vector<float> f(engine.feature_dim());
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = 0.01f * float(i);
  const auto logits = engine.classify(f);
  ASSERT_EQ(logits.size(), std::size_t(spec.classes));
  for (int c = 0; c < spec.classes; ++c) {
    double z = state.at("fc.bias").values[c];
    for (std::size_t j = 0; j < f.size(); ++j) z += double(state.at("fc.weight").values[c * f.size() + j]) * f[j];
    EXPECT_NEAR(logits[c], z, 1e-4);
  }
}

}  // namespace
}  // namespace aoi::test

namespace aoi::test {
namespace {

// The stages recipe: the global features unchanged, then res3 and res4
// generalised-mean pooled (p = 3), checked against pooling the stage
// activations the tap reports, on every backend, for a batch.
TEST(FeatureRecipe, StagesAppendsGemPooledRes3AndRes4ToTheGlobalFeatures) {
  TinyResNetSpec spec;
  auto bytes = tiny_weight_file(spec, kSize, std::filesystem::temp_directory_path() / "aoi_test_recipe");
  for (Backend backend : {Backend::kAoi, Backend::kEigen}) {
    EngineOptions global_options{2};
    global_options.backend = backend;
    EngineOptions stages_options = global_options;
    stages_options.recipe = FeatureRecipe::kStages;
    const Engine global(weights::WeightFile::from_bytes(bytes, "tiny"), global_options);
    const Engine stages(weights::WeightFile::from_bytes(bytes, "tiny"), stages_options);
    const int g = global.feature_dim(), d = stages.feature_dim();
    ASSERT_EQ(d, g + spec.widths[1] * 4 + spec.widths[2] * 4);
    EXPECT_NE(global.feature_identity(), stages.feature_identity());
    EXPECT_EQ(stages.recipe(), FeatureRecipe::kStages);

    std::mt19937 rng(3);
    const int n = 3;
    const std::size_t per = 3 * kSize * kSize;
    const auto inputs = random_floats(per * n, rng, -2, 2);
    std::vector<float> gf(std::size_t(n) * g), sf(std::size_t(n) * d);
    // The naive pooling of what the tap sees, per image.
    std::vector<std::vector<double>> expected(n);
    int image = 0;
    global.featurize(inputs, n, gf, [&](int stage, const float* x, int c, int h, int w) {
      if (stage == 0) expected[std::size_t(image)].clear();
      if (stage == 2 || stage == 3)
        for (int k = 0; k < c; ++k) {
          double sum = 0;
          for (int i = 0; i < h * w; ++i) sum += std::pow(std::max(0.0, double(x[std::size_t(k) * h * w + i])), 3.0);
          expected[std::size_t(image)].push_back(std::cbrt(sum / (h * w)));
        }
      if (stage == 4) ++image;
    });
    ASSERT_EQ(image, n);
    int seen = 0;
    stages.featurize(inputs, n, sf, [&](int stage, const float*, int, int, int) { seen += stage == 4; });
    EXPECT_EQ(seen, n) << "the caller's tap still sees every stage";
    // Without a caller's tap the engine taps res3 and res4 alone, and the
    // packed trunks pool them from NHWC without converting: the same
    // features, to the bit. A tap asking for one stage is called for that one only.
    std::vector<float> untapped(sf.size());
    stages.featurize(inputs, n, untapped);
    EXPECT_EQ(untapped, sf) << backend_name(backend);
    std::vector<int> calls(5, 0);
    global.featurize(inputs, n, gf,
                     nn::StageTap([&](int stage, const float*, int, int, int) { ++calls[std::size_t(stage)]; }, 1u << 3));
    EXPECT_EQ(calls, (std::vector<int>{0, 0, 0, n, 0})) << backend_name(backend);
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < g; ++k)
        ASSERT_EQ(sf[std::size_t(i) * d + k], gf[std::size_t(i) * g + k]) << backend_name(backend) << " " << i;
      ASSERT_EQ(expected[std::size_t(i)].size(), std::size_t(d - g));
      for (int k = 0; k < d - g; ++k)
        EXPECT_NEAR(sf[std::size_t(i) * d + g + k], expected[std::size_t(i)][std::size_t(k)],
                    1e-5 * (1 + std::abs(expected[std::size_t(i)][std::size_t(k)])))
            << backend_name(backend) << " image " << i << " feature " << g + k;
    }
  }
}

// multiscale: the input is twice the side; its first block is the stages
// features of the area-averaged base view, its second the stages features of
// the large input itself. An input whose pixels are 2 x 2 copies of a base
// image therefore gives exactly the base image's stages features first.
TEST(FeatureRecipe, MultiscaleIsStagesAtTheBaseSizeThenAtTwiceIt) {
  TinyResNetSpec spec;
  auto bytes = tiny_weight_file(spec, kSize, std::filesystem::temp_directory_path() / "aoi_test_multiscale");
  for (Backend backend : {Backend::kAoi, Backend::kEigen}) {
    EngineOptions stages_options{2};
    stages_options.backend = backend;
    stages_options.recipe = FeatureRecipe::kStages;
    EngineOptions multi_options = stages_options;
    multi_options.recipe = FeatureRecipe::kMultiScale;
    const Engine stages(weights::WeightFile::from_bytes(bytes, "tiny"), stages_options);
    const Engine multi(weights::WeightFile::from_bytes(bytes, "tiny"), multi_options);
    const int d = stages.feature_dim();
    ASSERT_EQ(multi.feature_dim(), 2 * d);
    ASSERT_EQ(multi.input_size(), 2 * kSize);
    EXPECT_EQ(multi.preprocess().input_size, 2 * kSize);
    EXPECT_EQ(multi.preprocess().resize_short, 2 * stages.preprocess().resize_short);
    EXPECT_NE(multi.feature_identity(), stages.feature_identity());
    std::mt19937 rng(5);
    const auto base = random_floats(3 * kSize * kSize, rng, -2, 2);
    const int big = 2 * kSize;
    std::vector<float> large(std::size_t(3) * big * big);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < big; ++y)
        for (int x = 0; x < big; ++x)
          large[(std::size_t(c) * big + y) * big + x] = base[(std::size_t(c) * kSize + y / 2) * kSize + x / 2];
    std::vector<float> sf(static_cast<std::size_t>(d)), mf(static_cast<std::size_t>(2 * d));
    stages.featurize(base, 1, sf);
    multi.featurize(large, 1, mf);
    for (int k = 0; k < d; ++k) ASSERT_EQ(mf[std::size_t(k)], sf[std::size_t(k)]) << backend_name(backend) << " " << k;
    // The second block: the trunk on the large input (a reference pass on it).
    const nn::Trunk trunk(multi.weights());
    std::vector<float> ws(trunk.workspace_floats(big, big)), res5(std::size_t(trunk.feature_dim()));
    trunk.forward(large.data(), big, big, res5.data(), ws.data(), kernels::GemmBackend::kEigen);
    for (int k = 0; k < trunk.feature_dim(); ++k)
      EXPECT_NEAR(mf[std::size_t(d + k)], res5[std::size_t(k)], 1e-4 * (1 + std::abs(res5[std::size_t(k)])))
          << backend_name(backend) << " " << k;
  }
}

// EngineOptions::patches appends the patch grid after the recipe's features
// and leaves those unchanged.
TEST(FeatureRecipe, PatchesFollowTheRecipesFeaturesUnchanged) {
  TinyResNetSpec spec;
  auto bytes = tiny_weight_file(spec, kSize, std::filesystem::temp_directory_path() / "aoi_test_patches");
  EngineOptions plain{2};
  plain.recipe = FeatureRecipe::kStages;
  EngineOptions with = plain;
  with.patches = true;
  const Engine a(weights::WeightFile::from_bytes(bytes, "tiny"), plain);
  const Engine b(weights::WeightFile::from_bytes(bytes, "tiny"), with);
  EXPECT_EQ(b.recipe_dim(), a.feature_dim());
  EXPECT_EQ(b.patch_grid_side(), 8);
  EXPECT_EQ(b.patch_count(), 64);
  EXPECT_EQ(b.feature_dim(), a.feature_dim() + 64 * 128);
  EXPECT_NE(a.feature_identity(), b.feature_identity());
  std::mt19937 rng(6);
  const auto in = random_floats(2 * 3 * kSize * kSize, rng, -2, 2);
  std::vector<float> fa(std::size_t(2) * a.feature_dim()), fb(std::size_t(2) * b.feature_dim());
  a.featurize(in, 2, fa);
  b.featurize(in, 2, fb);
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < a.feature_dim(); ++k)
      ASSERT_EQ(fb[std::size_t(i) * b.feature_dim() + k], fa[std::size_t(i) * a.feature_dim() + k]);
    double norm = 0;
    for (int k = a.feature_dim(); k < b.feature_dim(); ++k) norm += std::abs(fb[std::size_t(i) * b.feature_dim() + k]);
    EXPECT_GT(norm, 0) << "the patch grid is filled";
  }
}

TEST(FeatureRecipe, ABatchSideBySideEqualsItsImagesOneAtATime) {
  // On two threads a batch runs its images side by side (Engine::featurize);
  // each recipe's pooling and the patch grid must stay with their image.
  TinyResNetSpec spec;
  auto bytes = tiny_weight_file(spec, kSize, std::filesystem::temp_directory_path() / "aoi_test_side_by_side");
  std::mt19937 rng(8);
  for (const auto recipe : {FeatureRecipe::kStages, FeatureRecipe::kMultiScale}) {
    EngineOptions options{2};
    options.recipe = recipe;
    options.patches = recipe == FeatureRecipe::kStages;
    const Engine engine(weights::WeightFile::from_bytes(bytes, "tiny"), options);
    const int n = 5;
    const std::size_t per = std::size_t(3) * engine.input_size() * engine.input_size();
    const auto in = random_floats(per * n, rng, -2, 2);
    std::vector<float> batch(std::size_t(n) * engine.feature_dim());
    engine.featurize(in, n, batch);
    for (int i = 0; i < n; ++i) {
      std::vector<float> alone(std::size_t(engine.feature_dim()));
      engine.featurize(std::span<const float>(in.data() + per * i, per), 1, alone);
      EXPECT_TRUE(std::equal(alone.begin(), alone.end(), batch.begin() + std::ptrdiff_t(i) * engine.feature_dim()))
          << feature_recipe_name(recipe) << ": image " << i;
    }
  }
}

TEST(FeatureRecipe, NamesParseAndUnknownOnesAreRefused) {
  for (const auto& r : feature_recipes()) EXPECT_EQ(parse_feature_recipe(r.name), r.value);
  try {
    parse_feature_recipe("tiles");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: global, stages"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aoi::test
