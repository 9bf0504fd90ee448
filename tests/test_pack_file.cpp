// Pack files: the trunk's packed weights written once and mapped by later
// engines. They must give the very same features as packing in memory, and
// anything stale, damaged or from another layout must be refused and
// replaced, never used.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>

#include "core/require.hpp"
#include "nn/engine.hpp"
#include "nn/pack_file.hpp"
#include "support/naive.hpp"
#include "support/random_resnet.hpp"
#include "support/scratch_dir.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = process_scratch("aoi_test_pack") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// At 224 the tiny trunk's 3x3 layers take all three layouts: F(4,3) on 56x56,
// F(2,3) on 28x28 and 14x14, the GEMM on 7x7.
constexpr int kSize = 224;

const std::vector<std::uint8_t>& tiny_weights() {
  static const auto bytes = tiny_weight_file(TinyResNetSpec{}, kSize, fresh_dir("weights"));
  return bytes;
}

Engine engine_with(const fs::path& pack_dir, bool compact = false) {
  EngineOptions o;
  o.threads = 2;
  o.pack_dir = pack_dir;
  o.compact_weights = compact;
  return Engine(weights::WeightFile::from_bytes(tiny_weights(), "tiny"), o);
}

std::vector<float> features_of(const Engine& e) {
  std::mt19937 rng(5);
  const auto input = random_floats(std::size_t(3) * kSize * kSize * 2, rng, -2, 2);
  std::vector<float> f(std::size_t(2) * e.feature_dim());
  e.featurize(input, 2, f);
  return f;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<fs::path> packs_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".aoipack") out.push_back(e.path());
  return out;
}

TEST(PackFile, RoundTripsItsBuffersAlignedAndRefusesStaleOrDamagedFiles) {
  const fs::path dir = fresh_dir("roundtrip"), path = dir / "x.aoipack";
  std::mt19937 rng(3);
  const auto a = random_floats(1000, rng), b = random_floats(17, rng), c = random_floats(4096, rng);
  const std::vector<std::span<const float>> buffers{a, b, c};
  nn::PackFile::write(path, 42, buffers);
  {
    auto file = nn::PackFile::open(path, 42);
    ASSERT_TRUE(file.has_value());
    ASSERT_EQ(file->buffers().size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      const auto got = file->buffers()[i];
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(got.data()) % 64, 0u);
      EXPECT_TRUE(std::equal(got.begin(), got.end(), buffers[i].begin(), buffers[i].end())) << i;
    }
  }
  EXPECT_FALSE(nn::PackFile::open(path, 43).has_value()) << "another identity";
  EXPECT_FALSE(nn::PackFile::open(dir / "absent.aoipack", 42).has_value());
  const auto size = fs::file_size(path);
  {  // one flipped bit in the data
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(size - 100));
    char ch = 0;
    f.read(&ch, 1);
    ch ^= 4;
    f.seekp(std::streamoff(size - 100));
    f.write(&ch, 1);
  }
  EXPECT_FALSE(nn::PackFile::open(path, 42).has_value()) << "damaged";
  nn::PackFile::write(path, 42, buffers);
  fs::resize_file(path, size - 64);
  EXPECT_FALSE(nn::PackFile::open(path, 42).has_value()) << "truncated";
  fs::remove_all(dir);
}

TEST(PackFile, AnEngineWritesOneThenMapsItWithBitIdenticalFeatures) {
  const fs::path dir = fresh_dir("engine");
  const auto expected = features_of(engine_with({}));
  EXPECT_TRUE(packs_in(dir).empty());
  EXPECT_TRUE(same_bits(features_of(engine_with(dir)), expected)) << "the engine that packs and writes";
  const auto packs = packs_in(dir);
  ASSERT_EQ(packs.size(), 1u);
  const auto written = fs::last_write_time(packs[0]);
  EXPECT_TRUE(same_bits(features_of(engine_with(dir)), expected)) << "the engine that maps the file";
  EXPECT_EQ(fs::last_write_time(packs[0]), written) << "a matching pack is used, not rewritten";
  // A multiscale engine packs a second trunk, at twice the size: its own file.
  EngineOptions o;
  o.pack_dir = dir;
  o.recipe = FeatureRecipe::kMultiScale;
  Engine{weights::WeightFile::from_bytes(tiny_weights(), "tiny"), o};
  EXPECT_EQ(packs_in(dir).size(), 2u);
  // Compact weights lay some layers out otherwise: a file of their own,
  // mapped as bit-identically as the first.
  const auto compact = features_of(engine_with({}, true));
  EXPECT_TRUE(same_bits(features_of(engine_with(dir, true)), compact)) << "the compact engine that packs";
  EXPECT_EQ(packs_in(dir).size(), 3u);
  EXPECT_TRUE(same_bits(features_of(engine_with(dir, true)), compact)) << "the compact engine that maps";
  EXPECT_EQ(packs_in(dir).size(), 3u);
  fs::remove_all(dir);
}

// An engine that maps a pack file reads none of the weight file's payload
// but the small layers it compares (unchecked: they are checked against the
// pack), so no start hashes the whole weight file; one that packs does.
TEST(PackFile, AnEngineThatMapsAPackDoesNotHashTheWeightFile) {
  const fs::path dir = fresh_dir("unhashed");
  const fs::path path = dir / "tiny.aoiw";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(tiny_weights().data()), std::streamsize(tiny_weights().size()));
  EngineOptions o;
  o.threads = 2;
  o.pack_dir = dir / "packs";
  const Engine packing(weights::WeightFile::open(path), o);
  EXPECT_TRUE(packing.weights().payload_verified()) << "packing read, and so checked, the weights";
  const Engine mapping(weights::WeightFile::open(path), o);
  const auto features = features_of(mapping);
  EXPECT_FALSE(mapping.weights().payload_verified()) << "a mapped trunk hashed the weight file";
  EXPECT_TRUE(same_bits(features, features_of(packing)));
  fs::remove_all(dir);
}

TEST(PackFile, APackOfAnotherLayoutIsRefusedAndReplaced) {
  const fs::path dir = fresh_dir("layout");
  const auto expected = features_of(engine_with({}));
  (void)engine_with(dir);
  const auto packs = packs_in(dir);
  ASSERT_EQ(packs.size(), 1u);
  // Same identity and a valid hash, but the stem's weights laid out
  // otherwise (as a build with another packing would write them).
  std::vector<std::vector<float>> copies;
  std::uint64_t identity = 0;
  {
    std::ifstream in(packs[0], std::ios::binary);
    in.seekg(16);
    in.read(reinterpret_cast<char*>(&identity), sizeof identity);
  }
  {
    auto file = nn::PackFile::open(packs[0], identity);
    ASSERT_TRUE(file.has_value());
    for (const auto& b : file->buffers()) copies.emplace_back(b.begin(), b.end());
  }
  std::reverse(copies[1].begin(), copies[1].end());
  std::vector<std::span<const float>> views(copies.begin(), copies.end());
  nn::PackFile::write(packs[0], identity, views);
  EXPECT_TRUE(same_bits(features_of(engine_with(dir)), expected)) << "the odd pack was used";
  auto replaced = nn::PackFile::open(packs[0], identity);
  ASSERT_TRUE(replaced.has_value());
  const auto stem = replaced->buffers()[1];
  EXPECT_FALSE(std::equal(stem.begin(), stem.end(), copies[1].begin(), copies[1].end())) << "not rewritten";
  fs::remove_all(dir);
}

TEST(PackFile, AFolderThatCannotBeWrittenCostsOnlyTheFile) {
  const fs::path dir = fresh_dir("blocked"), blocker = dir / "not-a-folder";
  std::ofstream(blocker) << "x";
  EXPECT_TRUE(same_bits(features_of(engine_with(blocker / "packs")), features_of(engine_with({}))));
  fs::remove_all(dir);
}

TEST(PackFile, TheEnvironmentPicksTheFolder) {
  ::setenv("AOI_PACK_DIR", "/some/where", 1);
  EXPECT_EQ(nn::pack_dir_from_environment(false), fs::path("/some/where"));
  ::setenv("AOI_PACK_DIR", "off", 1);
  EXPECT_TRUE(nn::pack_dir_from_environment(true).empty());
  ::unsetenv("AOI_PACK_DIR");
  EXPECT_TRUE(nn::pack_dir_from_environment(false).empty()) << "the library writes nothing unasked";
  ::setenv("XDG_CACHE_HOME", "/cache/home", 1);
  EXPECT_EQ(nn::pack_dir_from_environment(true), fs::path("/cache/home/aoi/packed"));
  ::unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace aoi::test
