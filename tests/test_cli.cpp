// The aoi binary end to end on a small converted model: featurize, classify,
// info, help, and bad files (skipped, reported by name, non-zero exit).
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "io/npy.hpp"
#include "support/image_writers.hpp"
#include "support/random_resnet.hpp"
#include "support/run_cli.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("aoi_test_cli_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    setenv("AOI_CACHE_DIR", (dir_ / "cache").c_str(), 1);  // keep the user's cache out of it
    const auto bytes = tiny_weight_file(TinyResNetSpec{}, 64, dir_);
    std::ofstream(dir_ / "tiny.aoiw", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    for (int i = 0; i < 3; ++i) {
      std::vector<std::uint16_t> px(40 * 30 * 3);
      for (std::size_t j = 0; j < px.size(); ++j) px[j] = std::uint16_t((j * (i + 3)) % 256);
      const auto png = encode_png(40, 30, PNG_COLOR_TYPE_RGB, 8, px);
      std::ofstream(dir_ / ("good" + std::to_string(i) + ".png"), std::ios::binary)
          .write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
      if (i == 0) std::ofstream(dir_ / "cut.png", std::ios::binary).write(reinterpret_cast<const char*>(png.data()), 60);
    }
    std::ofstream(dir_ / "empty.jpg");
    std::ofstream(dir_ / "manifest.csv") << "path,label\ngood2.png,pass\ngood0.png,fail\n";
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string p(const std::string& name) { return (dir_ / name).string(); }
  static std::string weights() { return " --weights " + p("tiny.aoiw"); }
  static inline fs::path dir_;
};

TEST_F(Cli, FeaturizeWritesOneRowPerImageInInputOrder) {
  const auto r = run("featurize --features global" + weights() + " -o " + p("f.npy") + " --threads 1 " + p("good0.png") +
                     " " + p("good1.png"));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto a = io::read_npy(p("f.npy"));
  ASSERT_EQ(a.shape, (std::vector<std::int64_t>{2, 64}));  // the tiny trunk's res5 channels
  // Row order is input order: featurizing good1 alone gives row 1.
  ASSERT_EQ(run("featurize --features global" + weights() + " -o " + p("one.npy") + " " + p("good1.png")).code, 0);
  const auto one = io::read_npy(p("one.npy"));
  EXPECT_EQ(std::vector<float>(a.values.begin() + 64, a.values.end()), one.values);
}

// --compact-weights and $AOI_COMPACT_WEIGHTS=1 reach the engine: a compact
// trunk writes a pack file of its own beside the default one, and both
// ways of asking map that same file.
TEST_F(Cli, CompactWeightsByFlagOrVariableGetTheirOwnPackFile) {
  const fs::path packs = dir_ / "packs";
  fs::remove_all(packs);
  const std::string env = "AOI_PACK_DIR=" + packs.string() + " ";
  const std::string args = "featurize --features global" + weights() + " --threads 1 " + p("good0.png") + " -o ";
  auto count = [&] {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(packs)) n += e.path().extension() == ".aoipack";
    return n;
  };
  ASSERT_EQ(run_limited(env + "AOI_COMPACT_WEIGHTS=0 ", args + p("d.npy")).code, 0);
  EXPECT_EQ(count(), 1u);
  ASSERT_EQ(run_limited(env + "AOI_COMPACT_WEIGHTS=0 ", args + p("c.npy") + " --compact-weights").code, 0);
  EXPECT_EQ(count(), 2u) << "the compact trunk's own pack";
  ASSERT_EQ(run_limited(env + "AOI_COMPACT_WEIGHTS=1 ", args + p("v.npy")).code, 0);
  EXPECT_EQ(count(), 2u) << "the variable asks for the same compact trunk";
  EXPECT_EQ(io::read_npy(p("c.npy")).values, io::read_npy(p("v.npy")).values);
}

TEST_F(Cli, BadFilesAreSkippedAndReportedAndTheExitCodeSaysSo) {
  const auto r = run("featurize" + weights() + " -o " + p("g.npy") + " --rows " + p("rows.txt") + " " + p("good0.png") + " " +
                     p("empty.jpg") + " " + p("cut.png") + " " + p("missing.png") + " " + p("good1.png"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(p("empty.jpg") + ": file is empty"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(p("cut.png") + ": bad PNG"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(p("missing.png") + ": no such file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("3 of 5 images failed"), std::string::npos) << r.output;
  EXPECT_EQ(io::read_npy(p("g.npy")).shape[0], 2);
  std::ifstream rows(p("rows.txt"));
  std::string first, second;
  std::getline(rows, first), std::getline(rows, second);
  EXPECT_EQ(first, p("good0.png"));
  EXPECT_EQ(second, p("good1.png"));
}

TEST_F(Cli, ManifestPathsResolveAgainstItsFolder) {
  const auto r = run("featurize" + weights() + " --manifest " + p("manifest.csv") + " -o " + p("m.npy") + " --roi 0,0,20,20");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(io::read_npy(p("m.npy")).shape[0], 2);
  const auto bad_roi = run("featurize" + weights() + " -o " + p("x.npy") + " --roi 30,0,20,20 " + p("good0.png"));
  EXPECT_EQ(bad_roi.code, 1);
  EXPECT_NE(bad_roi.output.find("does not lie inside the 40x30 image"), std::string::npos) << bad_roi.output;
}

TEST_F(Cli, ClassifyInfoAndHelp) {
  const auto c = run("classify" + weights() + " --top 3 " + p("good0.png"));
  ASSERT_EQ(c.code, 0) << c.output;
  EXPECT_NE(c.output.find("class"), std::string::npos);
  const auto i = run("info " + p("tiny.aoiw"));
  ASSERT_EQ(i.code, 0) << i.output;
  EXPECT_NE(i.output.find("resnet v1.5, blocks [2,1,1,1]"), std::string::npos) << i.output;
  for (const std::string cmd : {"--help", "featurize --help", "classify --help", "info --help"}) {
    const auto h = run(cmd);
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_NE(h.output.find("Usage"), std::string::npos) << cmd;
  }
  EXPECT_EQ(run("frobnicate").code, 2);
}

TEST_F(Cli, BadWeightFilesAndMissingWeightsAreClearErrors) {
  std::ofstream(p("junk.aoiw")) << "not weights at all, just some text that is long enough to hold a preamble of sixty-four bytes";
  const auto r = run("info " + p("junk.aoiw"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find(p("junk.aoiw") + ": not an aoi weight file"), std::string::npos) << r.output;
  const auto missing = run("featurize --weights " + p("nope.aoiw") + " -o " + p("y.npy") + " " + p("good0.png"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.output.find(p("nope.aoiw")), std::string::npos) << missing.output;
  const auto env = run("info");  // AOI_WEIGHTS wins over the default location
  setenv("AOI_WEIGHTS", p("tiny.aoiw").c_str(), 1);
  const auto with_env = run("info");
  unsetenv("AOI_WEIGHTS");
  EXPECT_EQ(with_env.code, 0) << with_env.output;
  EXPECT_NE(with_env.output.find(p("tiny.aoiw")), std::string::npos);
}

}  // namespace
}  // namespace aoi::test
