// The product's quality bar on real data: DeepPCB region crops (built by
// tools/deeppcb/build_manifest.py), ResNet-50 trunk features and the GBDT,
// under 5-fold expanding-window time-based cross-validation: ROC AUC >= 0.97.
// Needs ../shared/datasets/deeppcb and the converted weights; the features
// are cached in the build folder, so a second run costs only the GBDT.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "weights/location.hpp"
#include "support/run_cli.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

TEST(DeepPcb, TimeBasedCrossValidatedAucReachesTheQualityBar) {
  const fs::path dataset = fs::path(AOI_SHARED_DIR) / "datasets" / "deeppcb";
  const bool required = std::getenv("AOI_REQUIRE_REFERENCE") != nullptr;
  if (!fs::exists(dataset / "PCBData")) {
    if (required) FAIL() << "no " << dataset;
    GTEST_SKIP() << "no DeepPCB at " << dataset;
  }
  if (!fs::exists(weights::default_location())) {
    if (std::getenv("AOI_REQUIRE_WEIGHTS")) FAIL() << "no weights at " << weights::default_location();
    GTEST_SKIP() << "no weights; run weights/fetch.sh";
  }
  const fs::path dir = fs::path(AOI_BINARY_DIR) / "deeppcb";
  fs::create_directories(dir);
  const std::string manifest = (dir / "deeppcb.csv").string(), json = (dir / "evaluation.json").string();
  const std::string build = "python3 " + std::string(AOI_SOURCE_DIR) + "/tools/deeppcb/build_manifest.py " +
                            dataset.string() + " -o " + manifest;
  ASSERT_EQ(std::system(build.c_str()), 0) << build;

  const auto r = run("evaluate --manifest " + manifest + " --cv time --folds 5 --json " + json + " --cache " +
                     (dir / "feature-cache").string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["items"].get<int>(), 4500);
  EXPECT_EQ(j["skipped"].get<int>(), 0);
  ASSERT_EQ(j["auc"].size(), 5u);
  for (const auto& a : j["auc"]) EXPECT_GT(a.get<double>(), 0.9);
  EXPECT_GE(j["auc_mean"].get<double>(), 0.97) << r.output;
  EXPECT_GE(j["operating_point"]["recall"].get<double>(), 0.99);
  EXPECT_GT(j["operating_point"]["auto_pass"].get<double>(), 0.3) << "the human-review reduction";
  std::cout << r.output;
}

}  // namespace
}  // namespace aoi::test
