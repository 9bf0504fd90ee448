// The engine on a small random ResNet (converted from a torchvision-style
// safetensors file) against a naive float64 forward pass with batch norm
// unfolded: exercises the converter, the v1.5 graph, batches and threads.
#include <gtest/gtest.h>
#include "core/parallel.hpp"

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
