// The .aoiw format: round trip, and each way a file can be damaged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/require.hpp"
#include "weights/weight_file.hpp"
#include "support/random_resnet.hpp"
#include "support/scratch_dir.hpp"

namespace aoi::test {
namespace {

std::filesystem::path scratch() { return process_scratch("aoi_test_weights"); }

std::string load_error(const std::vector<std::uint8_t>& bytes) {
  try {
    weights::WeightFile::from_bytes(bytes, "model.aoiw");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadWeights);
    return e.what();
  }
  return "";
}

weights::ModelDescription description() {
  weights::ModelDescription d;
  d.variant = "v1.5";
  d.blocks = {1, 2};
  d.preprocess.channel_order = image::ChannelOrder::kBGR;
  d.preprocess.mean = {1, 2, 3};
  d.labels = {"pass", "fail"};
  return d;
}

TEST(WeightFile, RoundTripKeepsTensorsAndDescriptionAndAlignsPayload) {
  weights::WeightWriter w;
  w.add("a.weight", {2, 3, 1, 1}, {1, 2, 3, 4, 5, 6});
  w.add("a.bias", {2}, {-1, 7});
  w.add("odd", {3}, {0.5f, 0.25f, 0.125f});
  std::filesystem::create_directories(scratch());
  const auto path = scratch() / "round.aoiw";
  w.write(path, description());
  const auto f = weights::WeightFile::open(path);
  EXPECT_EQ(f.tensors().size(), 3u);
  const auto a = f.data("a.weight", {2, 3, 1, 1});
  EXPECT_EQ(std::vector<float>(a.begin(), a.end()), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(f.data("odd")[2], 0.125f);
  for (const auto& t : f.tensors()) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f.data(t.name).data()) % 64, 0u) << t.name;
  EXPECT_EQ(f.description().variant, "v1.5");
  EXPECT_EQ(f.description().blocks, (std::vector<int>{1, 2}));
  EXPECT_EQ(f.description().preprocess.channel_order, image::ChannelOrder::kBGR);
  EXPECT_EQ(f.description().preprocess.mean[2], 3.0f);
  EXPECT_EQ(f.description().labels[1], "fail");
  EXPECT_THROW(f.data("a.weight", {6}), Error);
  EXPECT_THROW(f.data("missing"), Error);
  // The payload hash identifies the weights: equal files, equal hashes.
  EXPECT_EQ(f.payload_hash(), weights::WeightFile::from_bytes(w.serialize(description()), "copy").payload_hash());
}

TEST(WeightFile, CorruptionsAreRefusedWithAClearMessage) {
  weights::WeightWriter w;
  w.add("x", {16}, std::vector<float>(16, 1.0f));
  const auto good = w.serialize(description());
  ASSERT_EQ(load_error(good), "");

  auto truncated = good;
  truncated.resize(good.size() - 10);
  EXPECT_NE(load_error(truncated).find("model.aoiw: file is truncated"), std::string::npos);
  EXPECT_NE(load_error({good.begin(), good.begin() + 20}).find("model.aoiw: file is truncated"), std::string::npos);

  auto bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_NE(load_error(bad_magic).find("not an aoi weight file"), std::string::npos);

  auto version = good;
  version[8] = 9;
  EXPECT_NE(load_error(version).find("weight file version 9 is not supported"), std::string::npos);

  auto payload = good;
  payload[payload.size() - 3] ^= 0x40;
  EXPECT_NE(load_error(payload).find("payload checksum mismatch"), std::string::npos);

  auto header = good;
  header[70] ^= 0x01;
  EXPECT_NE(load_error(header).find("header checksum mismatch"), std::string::npos);

  auto d = description();
  d.architecture = "vgg";
  EXPECT_NE(load_error(w.serialize(d)).find("architecture 'vgg' is not one aoi can run"), std::string::npos);
  d = description();
  d.variant = "v2";
  EXPECT_NE(load_error(w.serialize(d)).find("unknown resnet variant 'v2'"), std::string::npos);
}

// A mapped file is hashed on the first read of a tensor, not when opened: a
// trunk mapped from a pack file never reads one. A damaged payload then
// fails that read (and every later one), with the same message.
TEST(WeightFile, AMappedFileChecksItsPayloadOnTheFirstRead) {
  weights::WeightWriter w;
  w.add("x", {16}, std::vector<float>(16, 1.0f));
  w.add("y", {4}, std::vector<float>(4, 2.0f));
  auto bytes = w.serialize(description());
  std::filesystem::create_directories(scratch());
  const auto good_path = scratch() / "deferred_good.aoiw";
  std::ofstream(good_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  const auto good = weights::WeightFile::open(good_path);
  EXPECT_FALSE(good.payload_verified());
  const auto unchecked = good.data("y", {4}, weights::WeightFile::Check::kByCaller);
  EXPECT_EQ(unchecked[3], 2.0f);
  EXPECT_FALSE(good.payload_verified()) << "Check::kByCaller leaves the check to the caller";
  good.read_check()();
  EXPECT_TRUE(good.payload_verified());
  EXPECT_EQ(good.data("x")[0], 1.0f);

  bytes[bytes.size() - 3] ^= 0x40;
  const auto bad_path = scratch() / "deferred_bad.aoiw";
  std::ofstream(bad_path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  const auto bad = weights::WeightFile::open(bad_path);  // the header is sound
  EXPECT_EQ(bad.payload_hash(), good.payload_hash()) << "until checked, the hash the file states";
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      (void)bad.data("x");
      ADD_FAILURE() << "a damaged payload was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadWeights);
      EXPECT_NE(std::string(e.what()).find("deferred_bad.aoiw: payload checksum mismatch"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(bad.read_check()(), Error);
  EXPECT_FALSE(bad.payload_verified());
}

TEST(WeightFile, MissingFileIsAnIoError) {
  try {
    weights::WeightFile::open("/nonexistent/w.aoiw");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/w.aoiw: cannot open weight file"), std::string::npos);
  }
}

TEST(Converter, SafetensorsFoldsBatchNormAndRecordsTorchvisionPreprocessing) {
  TinyResNetSpec spec;
  const auto f = weights::WeightFile::from_bytes(tiny_weight_file(spec, 64, scratch()), "tiny");
  const auto& d = f.description();
  EXPECT_EQ(d.variant, "v1.5");
  EXPECT_EQ(d.blocks, spec.blocks);
  EXPECT_EQ(d.preprocess.channel_order, image::ChannelOrder::kRGB);
  EXPECT_FLOAT_EQ(d.preprocess.std[0], 0.229f);
  EXPECT_TRUE(f.has("layer1.0.downsample.weight"));
  EXPECT_FALSE(f.has("layer1.1.downsample.weight"));
  EXPECT_TRUE(f.has("fc.weight"));
  // Folding by hand for one output channel of the stem.
  const auto state = make_torchvision_state(spec);
  const double g = state.at("bn1.weight").values[3], v = state.at("bn1.running_var").values[3];
  const double m = state.at("bn1.running_mean").values[3], b = state.at("bn1.bias").values[3];
  const double factor = g / std::sqrt(v + 1e-5);
  EXPECT_NEAR(f.data("stem.weight")[3 * 147 + 10], state.at("conv1.weight").values[3 * 147 + 10] * factor, 1e-6);
  EXPECT_NEAR(f.data("stem.bias")[3], -m * factor + b, 1e-6);
}

}  // namespace
}  // namespace aoi::test
