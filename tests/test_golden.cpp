// The ResNet-50 trunk against the float64 reference in ../shared/reference:
// from the exact input tensor (relative L2 <= 1e-5, per-stage activations too),
// and end to end from the image file through aoi's decode and resize
// (cosine >= 0.999), with the ImageNet top-1 label agreeing everywhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "nn/engine.hpp"
#include "weights/location.hpp"
#include "support/naive.hpp"
#include "support/reference.hpp"

namespace aoi::test {
namespace {

std::filesystem::path weights_path() { return weights::default_location(); }

// Every path that can run the trunk here: aoi's kernels on each instruction
// set this CPU supports, and the Eigen / OpenBLAS reference path.
// aoi's kernels also with compact weights (res5's 3x3 layers as direct
// GEMMs) on each vector instruction set.
struct Path {
  Backend backend;
  kernels::Isa isa;
  bool compact = false;
  std::string name() const {
    if (backend != Backend::kAoi) return backend_name(backend);
    return std::string("aoi_") + kernels::isa_name(isa) + (compact ? "_compact" : "");
  }
};

std::vector<Path> all_paths() {
  std::vector<Path> out;
  for (auto isa : {kernels::Isa::kAvx512, kernels::Isa::kAvx2, kernels::Isa::kNeon, kernels::Isa::kScalar})
    if (kernels::isa_supported(isa)) {
      out.push_back({Backend::kAoi, isa});
      if (isa != kernels::Isa::kScalar) out.push_back({Backend::kAoi, isa, true});
    }
  out.push_back({Backend::kEigen, kernels::Isa::kScalar});
  out.push_back({Backend::kOpenBlas, kernels::Isa::kScalar});
  return out;
}

class Golden : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    AOI_REQUIRE_REFERENCE();
    if (!std::filesystem::exists(weights_path())) {
      if (std::getenv("AOI_REQUIRE_WEIGHTS")) FAIL() << "no weights at " << weights_path() << " (run weights/fetch.sh)";
      GTEST_SKIP() << "no weights at " << weights_path() << "; run weights/fetch.sh";
    }
    EngineOptions options;
    options.backend = GetParam().backend;
    if (options.backend == Backend::kAoi) options.isa = GetParam().isa;
    options.compact_weights = GetParam().compact;
    engine_.emplace(Engine::load(weights_path(), options));
    manifest_ = reference_manifest();
  }
  std::optional<Engine> engine_;
  nlohmann::json manifest_;
};

int argmax(const float* v, std::size_t n) { return int(std::max_element(v, v + n) - v); }

TEST_P(Golden, FeaturesFromTheReferenceInputTensor) {
  for (const auto& c : manifest_["cases"]) {
    const std::string name = c["image"].get<std::string>() + " " + c["policy"].get<std::string>();
    const auto input = read_f32(reference_dir() / "golden" / c["input"].get<std::string>());
    const auto expected = read_f32(reference_dir() / "golden" / c["features"].get<std::string>());
    const auto ref_logits = read_f32(reference_dir() / "golden" / c["logits"].get<std::string>());
    std::vector<float> features(engine_->feature_dim());
    engine_->featurize(input, 1, features);
    const double err = relative_l2(features.data(), expected.data(), expected.size());
    const auto logits = engine_->classify(features);
    const double logit_err = relative_l2(logits.data(), ref_logits.data(), ref_logits.size());
    std::printf("[golden %s] %-24s features rel L2 %.2e  logits rel L2 %.2e  top-1 %s\n",
                GetParam().name().c_str(), name.c_str(), err, logit_err,
                engine_->description().labels[argmax(logits.data(), logits.size())].c_str());
    EXPECT_LE(err, 1e-5) << name;
    EXPECT_EQ(argmax(logits.data(), logits.size()), argmax(ref_logits.data(), ref_logits.size())) << name;
    EXPECT_EQ(engine_->description().labels[argmax(logits.data(), logits.size())], c["top5"][0][0].get<std::string>());
  }
}

TEST_P(Golden, PerStageActivationsOfChelsea) {
  const auto& c = manifest_["cases"][0];
  ASSERT_TRUE(c.contains("stages"));
  const auto input = read_f32(reference_dir() / "golden" / c["input"].get<std::string>());
  const char* names[] = {"stem_pool", "res2c", "res3d", "res4f", "res5c"};
  int seen = 0;
  std::vector<float> features(engine_->feature_dim());
  engine_->featurize(input, 1, features, [&](int stage, const float* data, int ch, int h, int w) {
    const auto& s = c["stages"][names[stage]];
    const auto shape = s["shape"].get<std::vector<int>>();
    ASSERT_EQ(shape, (std::vector<int>{1, ch, h, w})) << names[stage];
    const auto expected = read_f32(reference_dir() / "golden" / s["file"].get<std::string>());
    const double err = relative_l2(data, expected.data(), expected.size());
    std::printf("[golden %s] chelsea %-10s rel L2 %.2e\n", GetParam().name().c_str(), names[stage], err);
    EXPECT_LE(err, 1e-5) << names[stage];
    ++seen;
  });
  EXPECT_EQ(seen, 5);
}

TEST_P(Golden, EndToEndFromTheImageFile) {
  for (const auto& c : manifest_["cases"]) {
    const std::string name = c["image"].get<std::string>() + " " + c["policy"].get<std::string>();
    const auto image = io::read_image(reference_dir() / "images" / c["image"].get<std::string>());
    std::vector<float> input(3 * 224 * 224), features(engine_->feature_dim());
    engine_->prepare(image, std::nullopt, image::parse_policy(c["policy"]), name, input.data());
    engine_->featurize(input, 1, features);
    const auto expected = read_f32(reference_dir() / "golden" / c["features"].get<std::string>());
    const double cos = cosine(features.data(), expected.data(), expected.size());
    const auto logits = engine_->classify(features);
    std::printf("[golden %s] %-24s end-to-end cosine %.7f  top-1 %s\n", GetParam().name().c_str(),
                name.c_str(), cos, engine_->description().labels[argmax(logits.data(), logits.size())].c_str());
    EXPECT_GE(cos, 0.999) << name;
    EXPECT_EQ(engine_->description().labels[argmax(logits.data(), logits.size())], c["top5"][0][0].get<std::string>())
        << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, Golden, ::testing::ValuesIn(all_paths()),
                         [](const auto& info) { return info.param.name(); });

}  // namespace
}  // namespace aoi::test
