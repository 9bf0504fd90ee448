// aoi::Inspector: its preprocessing of borrowed pixels equals the pipeline's
// (so scores match `aoi score`), batches equal single calls, concurrent calls
// agree, steady-state calls allocate nothing, and bad input names itself.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <unistd.h>

#include "aoi/inspector.hpp"
#include "image/preprocess.hpp"
#include "inspector/inspector_access.hpp"
#include "io/atomic_file.hpp"
#include "support/tiny_bundle.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

io::Image random_image(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  io::Image im;
  im.width = w, im.height = h;
  im.rgb.resize(std::size_t(w) * h * 3);
  const int level = int(rng() % 200);
  for (auto& v : im.rgb) v = std::uint8_t(level + rng() % 56);
  return im;
}

PixelView view_of(const io::Image& im) { return {im.rgb.data(), im.width, im.height, std::ptrdiff_t(im.width) * 3, 3}; }

class InspectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("aoi_test_inspector_" + std::to_string(::getpid())));
    files_ = new TinyBundle(make_tiny_bundle(*dir_));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete files_;
    delete dir_;
  }
  static Inspector open(int threads = 1) { return Inspector::open(files_->bundle, {threads, files_->weights}); }
  static fs::path* dir_;
  static TinyBundle* files_;
};
fs::path* InspectorTest::dir_ = nullptr;
TinyBundle* InspectorTest::files_ = nullptr;

TEST(PreparePixels, EqualsThePipelinesPreprocessingForEveryPolicyRegionAndLayout) {
  image::Preprocess pre;
  pre.input_size = 32;
  pre.resize_short = 40;
  pre.mean = {100, 110, 120};
  pre.std = {50, 60, 70};
  const io::Image im = random_image(57, 43, 3);
  for (auto policy : {image::ResizePolicy::kStretch, image::ResizePolicy::kImageNet})
    for (std::optional<image::Roi> roi : {std::optional<image::Roi>(), std::optional<image::Roi>(image::Roi{5, 7, 33, 21})}) {
      pre.policy = policy;
      std::vector<float> want(3 * 32 * 32), got(3 * 32 * 32);
      image::to_tensor(image::fit_to_input(im, pre, roi, "x"), pre, want.data());
      // RGB rows with padding, through one scratch used twice (the second
      // time with buffers already sized).
      const int stride = im.width * 3 + 5;
      std::vector<std::uint8_t> padded(std::size_t(stride) * im.height, 0xEE);
      for (int y = 0; y < im.height; ++y)
        std::copy_n(im.rgb.data() + std::size_t(y) * im.width * 3, im.width * 3, padded.data() + std::size_t(y) * stride);
      image::PrepareScratch scratch;
      for (int pass = 0; pass < 2; ++pass) {
        image::prepare_pixels({padded.data(), im.width, im.height, stride, 3}, pre, roi, "x", scratch, got.data());
        EXPECT_EQ(got, want) << image::policy_name(policy) << " roi " << bool(roi) << " pass " << pass;
      }
    }
}

TEST(PreparePixels, GreyIsReplicatedToRgb) {
  image::Preprocess pre;
  pre.input_size = 16;
  io::Image im = random_image(20, 18, 4);
  std::vector<std::uint8_t> grey(20 * 18);
  for (std::size_t i = 0; i < grey.size(); ++i) {
    grey[i] = im.rgb[3 * i];
    im.rgb[3 * i + 1] = im.rgb[3 * i + 2] = im.rgb[3 * i];
  }
  std::vector<float> want(3 * 16 * 16), got(3 * 16 * 16);
  image::to_tensor(image::fit_to_input(im, pre, std::nullopt, "x"), pre, want.data());
  image::PrepareScratch scratch;
  image::prepare_pixels({grey.data(), 20, 18, 20, 1}, pre, std::nullopt, "x", scratch, got.data());
  EXPECT_EQ(got, want);
}

TEST_F(InspectorTest, PixelsFileAndEncodedBytesAgreeAndMatchTheBundlesDecision) {
  const Inspector inspector = open();
  const io::Image im = random_image(80, 60, 9);
  const fs::path png = *dir_ / "a.png";
  const auto bytes = io::encode_png(im);
  io::write_file_atomically(png, bytes);
  const Inspection a = inspector.inspect(view_of(im));
  const Inspection b = inspector.inspect_file(png);
  const Inspection c = inspector.inspect_encoded(bytes, "a.png");
  EXPECT_EQ(a.p_fail, b.p_fail);
  EXPECT_EQ(a.p_fail, c.p_fail);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_GE(a.p_fail, 0.0f);
  EXPECT_LE(a.p_fail, 1.0f);
  const auto& t = InspectorAccess::bundle(inspector).thresholds;
  const Verdict want = a.p_fail < t.pass_below ? Verdict::kPass : a.p_fail >= t.fail_from ? Verdict::kFail : Verdict::kReview;
  EXPECT_EQ(a.verdict, want);
  EXPECT_EQ(a.class_index, -1);
  EXPECT_EQ(inspector.model_version().rfind("aoi-", 0), 0u);
}

// explain() is inspect() plus a map: the same decision, and a supervised
// bundle's pooling-occlusion map on the trunk's res5 grid (the tiny bundle
// uses the global recipe), values in [0, 1].
TEST_F(InspectorTest, ExplainDecidesAsInspectAndMapsTheGrid) {
  const Inspector inspector = open();
  const io::Image im = random_image(70, 50, 4);
  Heatmap map;
  const Inspection a = inspector.explain(view_of(im), Region{5, 5, 60, 40}, map);
  const Inspection b = inspector.inspect(view_of(im), Region{5, 5, 60, 40});
  EXPECT_EQ(a.p_fail, b.p_fail);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(map.kind, Heatmap::Kind::kOcclusion);
  EXPECT_GT(map.width, 1);
  EXPECT_EQ(map.width, map.height);
  ASSERT_EQ(map.values.size(), std::size_t(map.width) * map.height);
  for (float v : map.values) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }
  // Where the evidence lies is tested on known activations (test_anomaly,
  // Heatmaps.*): the tiny random trunk here has none to find. A region
  // outside the image is refused as inspect() refuses it.
  io::Image dark = random_image(64, 64, 2);
  EXPECT_THROW(inspector.explain(view_of(dark), Region{60, 60, 10, 10}, map), Error);
}

TEST_F(InspectorTest, ScoresFollowTheImageTheModelWasTrainedToTell) {
  // The tiny bundle learned "bright is fail": a dark and a bright image must
  // get different scores, in that order.
  const Inspector inspector = open();
  io::Image dark = random_image(40, 40, 1), bright = dark;
  for (auto& v : dark.rgb) v = std::uint8_t(v / 8);
  for (auto& v : bright.rgb) v = std::uint8_t(255 - v / 8);
  EXPECT_LT(inspector.inspect(view_of(dark)).p_fail, inspector.inspect(view_of(bright)).p_fail);
}

TEST_F(InspectorTest, BatchEqualsSingleCallsAndRefusesMismatchedOutputs) {
  const Inspector inspector = open(2);
  std::vector<io::Image> images;
  std::vector<Sample> samples;
  for (unsigned i = 0; i < 5; ++i) images.push_back(random_image(30 + int(i) * 7, 40, 20 + i));
  for (std::size_t i = 0; i < images.size(); ++i)
    samples.push_back({view_of(images[i]), i % 2 ? std::optional<Region>(Region{1, 2, 20, 30}) : std::nullopt});
  std::vector<Inspection> out(samples.size());
  inspector.inspect_batch(samples, out);
  for (std::size_t i = 0; i < samples.size(); ++i)
    EXPECT_EQ(out[i].p_fail, inspector.inspect(samples[i].pixels, samples[i].region).p_fail) << i;
  std::vector<Inspection> short_out(2);
  EXPECT_THROW(inspector.inspect_batch(samples, short_out), Error);
}

TEST_F(InspectorTest, ConcurrentCallersGetTheSingleThreadedResults) {
  const Inspector inspector = open(2);
  std::vector<io::Image> images;
  std::vector<float> want;
  for (unsigned i = 0; i < 4; ++i) {
    images.push_back(random_image(50, 30 + int(i), 40 + i));
    want.push_back(inspector.inspect(view_of(images.back())).p_fail);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 10; ++k) {
        const std::size_t i = std::size_t(t + k) % images.size();
        if (inspector.inspect(view_of(images[i])).p_fail != want[i]) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(InspectorTest, BadInputNamesItself) {
  const Inspector inspector = open();
  const io::Image im = random_image(20, 20, 2);
  auto message = [&](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { inspector.inspect(view_of(im), Region{10, 10, 20, 5}); }).find("does not lie inside the 20x20 image"),
            std::string::npos);
  EXPECT_NE(message([&] { inspector.inspect({im.rgb.data(), 20, 20, 59, 3}); }).find("stride"), std::string::npos);
  EXPECT_NE(message([&] { inspector.inspect({im.rgb.data(), 20, 20, 60, 4}); }).find("channels"), std::string::npos);
  EXPECT_NE(message([&] { inspector.inspect_file(*dir_ / "none.png"); }).find("none.png"), std::string::npos);
  const std::vector<std::uint8_t> junk{'n', 'o', 'p', 'e'};
  EXPECT_NE(message([&] { inspector.inspect_encoded(junk, "upload-7"); }).find("upload-7: not an image"), std::string::npos);
  EXPECT_NE(message([&] { Inspector::open(*dir_ / "none.json", {1, files_->weights}); }).find("none.json"), std::string::npos);
  EXPECT_NE(message([&] { Inspector::open(files_->bundle, {-2, files_->weights}); }).find("threads"), std::string::npos);
}

}  // namespace
}  // namespace aoi::test
