// The feature cache (keys, round trips, damaged entries) and featurizing
// regions through it on a small random ResNet.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "pipeline/featurize.hpp"
#include "support/image_writers.hpp"
#include "support/random_resnet.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

class FeatureCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aoi_test_cache_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FeatureCacheTest, KeyCoversContentRegionPolicyWeightsAndWidth) {
  using image::ResizePolicy;
  const auto base = pipeline::feature_key(1, image::Roi{1, 2, 3, 4}, ResizePolicy::kStretch, 9, 2048);
  EXPECT_EQ(base.hex(), pipeline::feature_key(1, image::Roi{1, 2, 3, 4}, ResizePolicy::kStretch, 9, 2048).hex());
  EXPECT_EQ(base.hex().size(), 32u);
  for (const auto& other : {pipeline::feature_key(2, image::Roi{1, 2, 3, 4}, ResizePolicy::kStretch, 9, 2048),
                            pipeline::feature_key(1, image::Roi{1, 2, 3, 5}, ResizePolicy::kStretch, 9, 2048),
                            pipeline::feature_key(1, std::nullopt, ResizePolicy::kStretch, 9, 2048),
                            pipeline::feature_key(1, image::Roi{1, 2, 3, 4}, ResizePolicy::kImageNet, 9, 2048),
                            pipeline::feature_key(1, image::Roi{1, 2, 3, 4}, ResizePolicy::kStretch, 8, 2048),
                            pipeline::feature_key(1, image::Roi{1, 2, 3, 4}, ResizePolicy::kStretch, 9, 1024)})
    EXPECT_NE(other.hex(), base.hex());
}

TEST_F(FeatureCacheTest, RoundTripAndDamagedEntriesReadAsMisses) {
  const pipeline::FeatureCache cache(dir_ / "c");
  const auto key = pipeline::feature_key(42, std::nullopt, image::ResizePolicy::kStretch, 7, 5);
  std::vector<float> v{1.5f, -2.0f, 0.0f, 3.25f, 1e-30f}, out(5);
  EXPECT_FALSE(cache.load(key, out));
  ASSERT_TRUE(cache.store(key, v));
  ASSERT_TRUE(cache.load(key, out));
  EXPECT_EQ(out, v);
  std::vector<float> wrong_width(4);
  EXPECT_FALSE(cache.load(key, wrong_width));

  fs::path entry;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "c"))
    if (e.is_regular_file()) entry = e.path();
  ASSERT_FALSE(entry.empty());
  EXPECT_EQ(entry.filename().string(), key.hex() + ".f32");
  {  // flip one bit of a value
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-3, std::ios::end);
    char c;
    f.get(c);
    f.seekp(-3, std::ios::end);
    f.put(char(c ^ 1));
  }
  EXPECT_FALSE(cache.load(key, out));
  ASSERT_TRUE(cache.store(key, v));  // rewritten whole
  EXPECT_TRUE(cache.load(key, out));
  fs::resize_file(entry, fs::file_size(entry) - 4);
  EXPECT_FALSE(cache.load(key, out));
  // An unwritable cache folder is reported, not thrown.
  const pipeline::FeatureCache nowhere("/proc/aoi-no-such-dir");
  EXPECT_FALSE(nowhere.store(key, v));
}

TEST_F(FeatureCacheTest, SecondRunDoesNoTrunkWorkAndGivesIdenticalFeatures) {
  const auto bytes = tiny_weight_file(TinyResNetSpec{}, 64, dir_);
  const Engine engine(weights::WeightFile::from_bytes(bytes, "tiny"), EngineOptions{2});
  std::mt19937 rng(5);
  std::vector<pipeline::ImageRegion> items;
  for (int i = 0; i < 5; ++i) {
    std::vector<std::uint16_t> px(50 * 40 * 3);
    for (auto& v : px) v = std::uint16_t(rng() % 256);
    const auto png = encode_png(50, 40, PNG_COLOR_TYPE_RGB, 8, px);
    auto path = dir_ / "i";
    path += std::to_string(i);
    path += ".png";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
    items.push_back({path.string(), std::nullopt});
    items.push_back({path.string(), image::Roi{3, 4, 30, 30}});
  }
  std::ofstream(dir_ / "bad.png") << "not a png";
  items.insert(items.begin() + 3, {(dir_ / "bad.png").string(), std::nullopt});
  items.push_back({(dir_ / "i0.png").string(), image::Roi{40, 0, 20, 20}});  // outside the image

  pipeline::FeatureCache cache(dir_ / "cache");
  pipeline::FeaturizeOptions options;
  options.batch = 3;
  options.cache = &cache;
  const auto first = pipeline::featurize_regions(engine, items, options);
  ASSERT_EQ(first.errors.size(), 2u);
  EXPECT_EQ(first.errors[0].index, 3u);
  EXPECT_EQ(first.errors[1].index, items.size() - 1);
  EXPECT_EQ(first.cache_hits, 0u);
  ASSERT_EQ(first.rows.size(), items.size() - 2);

  const auto second = pipeline::featurize_regions(engine, items, options);
  EXPECT_EQ(second.cache_hits, items.size() - 2);
  EXPECT_EQ(second.rows, first.rows);
  EXPECT_EQ(second.features, first.features);

  options.cache = nullptr;  // the same features without a cache
  const auto plain = pipeline::featurize_regions(engine, items, options);
  EXPECT_EQ(plain.features, first.features);
  EXPECT_EQ(plain.cache_hits, 0u);
  // A region is not the whole image.
  const int d = engine.feature_dim();
  EXPECT_NE(std::vector<float>(first.features.begin(), first.features.begin() + d),
            std::vector<float>(first.features.begin() + d, first.features.begin() + 2 * d));
}

}  // namespace
}  // namespace aoi::test
