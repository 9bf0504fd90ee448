// Every input the fuzzers (tests/fuzz, docs/fuzzing.md) found to crash a
// parser, reduced to its essence. Each must now fail cleanly with aoi::Error
// (or load, where the input was valid).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/require.hpp"
#include "gbdt/model.hpp"
#include "io/npy.hpp"
#include "weights/weight_file.hpp"
#include "convert.hpp"
#include "support/error_of.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

class FuzzRegression : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("aoi_test_fuzzreg_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  }
  fs::path dir_;
};

// fuzz_weights: an empty input passed a null pointer to memcpy.
TEST_F(FuzzRegression, EmptyWeightFile) {
  EXPECT_NE(error_of([] { weights::WeightFile::from_bytes({}, "empty"); }).find("empty"), std::string::npos);
}

// fuzz_tfjs: a zero dimension copied zero bytes from a null pointer, and a
// negative one wrapped the element count past the bounds check.
TEST_F(FuzzRegression, TfjsShapesWithZeroNegativeAndHugeDimensions) {
  write("group1-shard1of1.bin", std::string(256, '\x01'));
  auto manifest = [&](const std::string& shape) {
    return write("model.json", R"({"modelTopology":{"model_config":{"class_name":"Model","config":{"layers":[]}}},)"
                               R"("weightsManifest":[{"paths":["group1-shard1of1.bin"],"weights":[{"name":"conv1/kernel",)"
                               R"("shape":)" + shape + R"(,"dtype":"float32"}]}]})");
  };
  weights::ModelDescription d;
  const auto zero = error_of([&] { convert::convert_tfjs(manifest("[0,1,3,4]"), d); });
  EXPECT_NE(zero, "no error");  // no layers: refused, but cleanly
  const auto negative = error_of([&] { convert::convert_tfjs(manifest("[-4611686018427387904,4,1,1]"), d); });
  EXPECT_NE(negative.find("negative dimension"), std::string::npos) << negative;
  const auto huge = error_of([&] { convert::convert_tfjs(manifest("[4294967296,4294967296,1,1]"), d); });
  EXPECT_NE(huge.find("more than 64 elements"), std::string::npos) << huge;
}

// fuzz_safetensors: a tensor entry without data_offsets threw nlohmann's
// exception instead of aoi::Error.
TEST_F(FuzzRegression, SafetensorsHeaderMissingAField) {
  const std::string header = R"({"conv1.weight":{"dtype":"F32","shape":[1]}})";
  std::string file(8, '\0');
  file[0] = char(header.size());
  const auto path = write("s.safetensors", file + header + std::string(4, '\0'));
  weights::ModelDescription d;
  const auto e = error_of([&] { convert::convert_safetensors(path, d); });
  EXPECT_NE(e.find("bad safetensors file: unexpected header structure"), std::string::npos) << e;
  const std::string negative = R"({"t":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}})";
  file[0] = char(negative.size());
  const auto neg = error_of([&] { convert::convert_safetensors(write("n.safetensors", file + negative + std::string(16, '\0')), d); });
  EXPECT_NE(neg.find("negative dimension"), std::string::npos) << neg;
}

// fuzz_gbdt_binary: empty arrays (a one-leaf tree has no nodes) passed a null
// pointer to memcpy on load.
TEST_F(FuzzRegression, BinaryModelWithEmptyArrays) {
  gbdt::Model m;
  m.num_features = 3;
  m.base_score = {0.25};
  m.trees.resize(1);
  m.trees[0].leaf_value = {0.5};
  const auto loaded = gbdt::from_binary(gbdt::to_binary(m), "one-leaf");
  ASSERT_EQ(loaded.trees.size(), 1u);
  EXPECT_TRUE(loaded.trees[0].feature.empty());
  EXPECT_TRUE(loaded.metadata.empty());
}

// The .npy reader with an empty array, and a shape too long to parse.
TEST_F(FuzzRegression, NpyEmptyAndOverlongShapes) {
  auto npy = [](const std::string& shape) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header.push_back('\n');
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out.push_back(char(header.size()));
    out.push_back('\0');
    return out + header;
  };
  const auto empty = npy("(0,)");
  const auto a = io::parse_npy({reinterpret_cast<const std::uint8_t*>(empty.data()), empty.size()}, "e.npy");
  EXPECT_TRUE(a.values.empty());
  const auto big = npy("(99999999999999999999999,)");
  EXPECT_NE(error_of([&] { io::parse_npy({reinterpret_cast<const std::uint8_t*>(big.data()), big.size()}, "b.npy"); })
                .find("shape is too large"),
            std::string::npos);
}

}  // namespace
}  // namespace aoi::test

namespace aoi::test {
namespace {

// fuzz_tfjs and fuzz_weights: a number far outside its type's range
// (8.9e65 as a tensor dimension) was converted by nlohmann's get<int64_t>,
// which is undefined behaviour; numbers are now checked first.
TEST_F(FuzzRegression, OutOfRangeNumbersInJson) {
  write("group1-shard1of1.bin", std::string(64, '\x01'));
  const auto model = write("model.json",
      R"({"modelTopology":{"model_config":{"class_name":"Model","config":{"layers":[]}}},)"
      R"("weightsManifest":[{"paths":["group1-shard1of1.bin"],"weights":[{"name":"conv1/kernel",)"
      R"("shape":[1,1,888888888888888888888888888888888888888888888888888888888888888883,4],"dtype":"float32"}]}]})");
  weights::ModelDescription d;
  const auto e = error_of([&] { convert::convert_tfjs(model, d); });
  EXPECT_NE(e.find("expected an integer in the range of its type"), std::string::npos) << e;

  // A shard number too long for an int threw std::out_of_range from stoi.
  const auto shard = write("model2.json",
      R"({"modelTopology":{"model_config":{"class_name":"Model","config":{"layers":[]}}},)"
      R"("weightsManifest":[{"paths":["group1-shard0000000000000066666666611of1.bin"],"weights":[]}]})");
  const auto s = error_of([&] { convert::convert_tfjs(shard, d); });
  EXPECT_NE(s.find("group1-shard0000000000000066666666611of1.bin"), std::string::npos) << s;

  gbdt::Model m;
  m.num_features = 2;
  m.base_score = {0};
  m.trees.resize(1);
  m.trees[0].leaf_value = {0.5};
  auto text = gbdt::to_json_text(m);
  const auto at = text.find("\"num_features\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(text.find('2', at), 1, "1e300");
  const auto g = error_of([&] { gbdt::from_json_text(text, "m.json"); });
  EXPECT_NE(g.find("m.json: num_features: expected an integer"), std::string::npos) << g;
}

}  // namespace
}  // namespace aoi::test
