// Reduced precision: the weight file's s8 and bf16 tensors, the calibration
// histogram, and `aoi quantize` end to end: an int8 file calibrated on the
// reference images and a bf16 file, both run through the engine on the
// golden input tensors (cosine to the float64 references >= 0.99 for int8,
// >= 0.995 for bf16, on bf16 kernels where the path has them), int8
// features the same bits on every instruction set and thread count, and the
// command's refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>

#include "core/require.hpp"
#include "nn/engine.hpp"
#include "quantize/activation_range.hpp"
#include "weights/location.hpp"
#include "support/reference.hpp"
#include "support/run_cli.hpp"
#include "support/isas.hpp"
#include "kernels/bf16_gemm.hpp"
#include <unistd.h>

namespace aoi::test {
namespace {

weights::ModelDescription tiny_description() {
  weights::ModelDescription d;
  d.blocks = {1};
  return d;
}

TEST(WeightFileDtypes, S8AndBf16TensorsRoundTripAndSayWhatTheyHold) {
  weights::WeightWriter w;
  w.add_s8("q", {2, 3}, {-64, -1, 0, 1, 63, 64});
  // 1 + 2^-8 lies halfway between two bfloat16 values: it rounds to even (1).
  w.add_bf16("h", {4}, {1.0f, 1.0f + 1.0f / 256, -2.5f, 3.0e38f});
  w.add("f", {1}, {0.25f});
  auto d = tiny_description();
  d.precision = "int8";
  d.quantization = R"({"calibration":{"images":3}})";
  const auto f = weights::WeightFile::from_bytes(w.serialize(d), "mixed.aoiw");
  EXPECT_EQ(f.description().precision, "int8");
  EXPECT_NE(f.description().quantization.find("\"images\":3"), std::string::npos);
  const auto q = f.data_s8("q", {2, 3});
  EXPECT_EQ(std::vector<std::int8_t>(q.begin(), q.end()), (std::vector<std::int8_t>{-64, -1, 0, 1, 63, 64}));
  const auto h = f.data("h");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], 1.0f);
  EXPECT_EQ(h[2], -2.5f);
  EXPECT_NEAR(h[3], 3.0e38f, 3.0e38f / 128);
  EXPECT_EQ(f.info("h").dtype, weights::DType::kBF16);
  EXPECT_EQ(f.info("h").nbytes, 8u);
  try {
    (void)f.data("q");
    FAIL() << "float data of an s8 tensor";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mixed.aoiw"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("s8"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)f.data_s8("f"), Error);
}

TEST(WeightFileDtypes, UnknownDtypeOrPrecisionIsRefused) {
  weights::WeightWriter w;
  w.add("f", {1}, {0.25f});
  auto d = tiny_description();
  d.precision = "int4";
  try {
    (void)weights::WeightFile::from_bytes(w.serialize(d), "int4.aoiw");
    FAIL() << "accepted precision int4";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int4"), std::string::npos) << e.what();
  }
}

TEST(ActivationRange, ClipsOutliersAndKeepsAPlainRange) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  quantize::ActivationRange plain, heavy;
  std::vector<float> v(100000);
  for (auto& x : v) x = u(rng);
  plain.add(v.data(), v.size());
  EXPECT_NEAR(plain.step() * 255, 1.0, 0.02);  // a uniform range is kept whole
  // A long tail (ReLU outputs have one): the step chosen must quantize the
  // values with less squared error than the full range or half of it.
  std::exponential_distribution<float> tail(1.0f);
  for (auto& x : v) x = tail(rng);
  heavy.add(v.data(), v.size());
  auto squared_error = [&](float step) {
    double e = 0;
    for (float x : v) {
      const float q = std::min(std::nearbyint(x / step), 255.0f) * step;
      e += double(x - q) * (x - q);
    }
    return e;
  };
  const float chosen = heavy.step(), full = heavy.max() / 255;
  EXPECT_LT(chosen, full);  // the tail is clipped
  EXPECT_LT(squared_error(chosen), squared_error(full));
  EXPECT_LT(squared_error(chosen), squared_error(full / 2));
  // The range grows as larger values arrive, merging what it holds.
  quantize::ActivationRange grown;
  std::vector<float> small(1000, 0.5f), large(1000, 8.0f);
  grown.add(small.data(), small.size());
  grown.add(large.data(), large.size());
  EXPECT_EQ(grown.values(), 2000u);
  EXPECT_NEAR(grown.step() * 255, 8.0, 0.1);
  quantize::ActivationRange zeros;
  std::vector<float> z(10, 0.0f);
  zeros.add(z.data(), z.size());
  EXPECT_EQ(zeros.step(), 1.0f);
}

double cosine(const float* a, const float* b, std::size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
  return ab / std::sqrt(aa * bb);
}

// One int8 and one bf16 file for the whole suite: quantizing reads the
// 100 MB float32 file and runs the calibration images.
class Quantized : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(weights::default_location())) return;
    if (!std::filesystem::exists(reference_dir() / "golden/manifest.json")) return;
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("aoi_test_quantize_" + std::to_string(getpid())));
    std::filesystem::create_directories(*dir_);
    std::ofstream csv(*dir_ / "calibration.csv");
    csv << "path\n";
    for (const char* image : {"chelsea.png", "coffee.png", "dog.jpg", "pcb_fail0.png", "pcb_pass0.png", "missing.png"})
      csv << (reference_dir() / "images" / image).string() << "\n";
    csv.close();
    const std::string w = weights::default_location().string();
    int8_run_ = new ::aoi::test::Run(run("quantize --weights " + w + " --manifest " + ((*dir_) / "calibration.csv").string() +
                            " -o " + ((*dir_) / "int8.aoiw").string()));
    bf16_run_ = new ::aoi::test::Run(run("quantize --precision bf16 --weights " + w + " -o " + ((*dir_) / "bf16.aoiw").string()));
  }
  static void TearDownTestSuite() {
    delete int8_run_;
    delete bf16_run_;
    if (dir_) std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    AOI_REQUIRE_REFERENCE();
    if (!dir_) {
      if (std::getenv("AOI_REQUIRE_WEIGHTS")) FAIL() << "no weights (run weights/fetch.sh)";
      GTEST_SKIP() << "no weights; run weights/fetch.sh";
    }
  }
  static std::filesystem::path file(const char* name) { return (*dir_) / name; }

  // Every golden case's features from its exact input tensor, against the
  // float64 reference; returns the smallest cosine.
  static double worst_cosine(const Engine& engine) {
    double worst = 1;
    int cases = 0;
    const auto manifest = reference_manifest();
    for (const auto& c : manifest["cases"]) {
      ++cases;
      const auto input = read_f32(reference_dir() / "golden" / c["input"].get<std::string>());
      const auto want = read_f32(reference_dir() / "golden" / c["features"].get<std::string>());
      std::vector<float> got(engine.feature_dim());
      engine.featurize(input, 1, got);
      const double cos = cosine(got.data(), want.data(), want.size());
      std::printf("[quantize %s] %-14s %-8s cosine %.5f\n", engine.description().precision.c_str(),
                  c["image"].get<std::string>().c_str(), c["policy"].get<std::string>().c_str(), cos);
      worst = std::min(worst, cos);
    }
    EXPECT_GE(cases, 10) << "the reference manifest lists too few cases";
    return worst;
  }

  static std::filesystem::path* dir_;
  static ::aoi::test::Run* int8_run_;
  static ::aoi::test::Run* bf16_run_;
};
std::filesystem::path* Quantized::dir_ = nullptr;
::aoi::test::Run* Quantized::int8_run_ = nullptr;
::aoi::test::Run* Quantized::bf16_run_ = nullptr;

TEST_F(Quantized, Int8FileRecordsItsCalibrationAndSkipsTheBadImage) {
  ASSERT_EQ(int8_run_->code, 0) << int8_run_->output;
  EXPECT_NE(int8_run_->output.find("calibrated on 5 images"), std::string::npos) << int8_run_->output;
  EXPECT_NE(int8_run_->output.find("missing.png"), std::string::npos) << int8_run_->output;
  const auto f = weights::WeightFile::open(file("int8.aoiw"));
  EXPECT_EQ(f.description().precision, "int8");
  const auto q = nlohmann::json::parse(f.description().quantization);
  EXPECT_EQ(q["calibration"]["images"], 5);
  EXPECT_EQ(q["calibration"]["manifest"], "calibration.csv");
  EXPECT_EQ(f.info("layer1.0.conv1.weight").dtype, weights::DType::kS8);
  EXPECT_EQ(f.info("stem.weight").dtype, weights::DType::kF32);
  EXPECT_GT(f.data("layer3.2.conv2.input_scale")[0], 0.0f);
  // About a quarter of the float32 file: s8 weights, float32 stem and classifier.
  EXPECT_LT(f.file_bytes(), std::filesystem::file_size(weights::default_location()) * 2 / 5);
}

TEST_F(Quantized, Int8FeaturesStayCloseToTheFloat64Reference) {
  ASSERT_EQ(int8_run_->code, 0) << int8_run_->output;
  const Engine engine = Engine::load(file("int8.aoiw"), EngineOptions{2});
  EXPECT_GE(worst_cosine(engine), 0.99);
}

// Bytes of the file at `path` resident in this process: the Rss of its
// mappings in /proc/self/smaps.
std::size_t resident_bytes_of(const std::filesystem::path& path) {
  std::ifstream smaps("/proc/self/smaps");
  const std::string want = std::filesystem::canonical(path).string();
  std::string line;
  bool ours = false;
  std::size_t kb = 0;
  while (std::getline(smaps, line)) {
    const auto space = line.find(' ');
    const bool header = space != std::string::npos && line.find('-') < space;
    if (header) ours = line.size() >= want.size() && line.compare(line.size() - want.size(), want.size(), want) == 0;
    else if (ours && line.rfind("Rss:", 0) == 0) kb += std::stoul(line.substr(4));
  }
  return kb * 1024;
}

// The int8 trunk packs every layer: once packed, the file's pages leave the
// resident set, so a scoring process does not hold its weights twice.
TEST_F(Quantized, Int8TrunkDoesNotKeepTheWeightFileResident) {
  ASSERT_EQ(int8_run_->code, 0) << int8_run_->output;
  const Engine engine = Engine::load(file("int8.aoiw"), EngineOptions{1});
  const std::size_t resident = resident_bytes_of(file("int8.aoiw"));
  // Not zero: the pages at each tensor's ends are shared with its
  // neighbours, and the kernel maps pages around each fault.
  EXPECT_LT(resident, engine.weights().file_bytes() / 4) << resident << " bytes of the int8 file resident";
  std::vector<float> input(std::size_t(3) * engine.input_size() * engine.input_size(), 0.5f), got(engine.feature_dim());
  engine.featurize(input, 1, got);  // the packed layers run without the file
  EXPECT_TRUE(std::isfinite(got[0]));
}

TEST_F(Quantized, Int8FeaturesAgreeOnEveryPathAndDoNotDependOnThreads) {
  ASSERT_EQ(int8_run_->code, 0) << int8_run_->output;
  const auto manifest = reference_manifest();
  const auto& c = manifest["cases"][0];
  const auto input = read_f32(reference_dir() / "golden" / c["input"].get<std::string>());
  std::vector<float> first;
  for (auto isa : {kernels::Isa::kScalar, kernels::Isa::kAvx2, kernels::Isa::kAvx512, kernels::Isa::kNeon}) {
    if (!kernels::isa_supported(isa)) continue;
    std::vector<float> one_thread;
    for (int threads : {1, 2}) {
      EngineOptions options;
      options.threads = threads;
      options.isa = isa;
      const Engine engine = Engine::load(file("int8.aoiw"), options);
      std::vector<float> got(engine.feature_dim());
      engine.featurize(input, 1, got);
      if (first.empty()) first = got;
      if (one_thread.empty()) one_thread = got;
      EXPECT_EQ(0, std::memcmp(got.data(), one_thread.data(), got.size() * sizeof(float)))
          << kernels::isa_name(isa) << ": " << threads << " threads differ from 1";
      // The float32 stem rounds differently per ISA, so the paths agree to
      // its rounding; the int8 layers after it add none of their own.
      EXPECT_GE(cosine(got.data(), first.data(), got.size()), 0.9999) << kernels::isa_name(isa) << " " << threads;
    }
  }
}

// A bf16 file runs on bf16 kernels where the path has bfloat16 arithmetic
// (AVX512_BF16), widened to float32 elsewhere (said once); both keep the
// golden features' direction.
TEST_F(Quantized, Bf16FileRunsInBf16WhereThePathCanAndWidenedElsewhere) {
  ASSERT_EQ(bf16_run_->code, 0) << bf16_run_->output;
  const auto f = weights::WeightFile::open(file("bf16.aoiw"));
  EXPECT_EQ(f.description().precision, "bf16");
  EXPECT_EQ(f.info("layer4.2.conv3.weight").dtype, weights::DType::kBF16);
  EXPECT_LT(f.file_bytes(), std::filesystem::file_size(weights::default_location()) * 3 / 5);
  std::optional<kernels::Isa> widened_isa;  // the fastest path without bf16 arithmetic, if any
  for (kernels::Isa isa : runnable_isas()) {
    if (!kernels::bf16_native(isa)) widened_isa = isa;
    // The scalar path widens as the vector ones do, and is slow: left out
    // where there is a vector path.
    if (isa == kernels::Isa::kScalar && runnable_isas().size() > 1) continue;
    EngineOptions options{2};
    options.isa = isa;
    const Engine engine = Engine::load(file("bf16.aoiw"), options);
    const bool native = kernels::bf16_native(isa);
    EXPECT_STREQ(engine.trunk_precision(), native ? "bf16" : "float32") << kernels::isa_name(isa);
    // The bf16 trunk packs the file's values in place: no float32 copy of
    // the bottleneck layers is made (the float32 stem's is, under 1 MB).
    if (native) EXPECT_LT(engine.weights().widened_bytes(), std::size_t(1) << 20) << kernels::isa_name(isa);
    else EXPECT_GT(engine.weights().widened_bytes(), f.file_bytes()) << kernels::isa_name(isa);
    EXPECT_GE(worst_cosine(engine), 0.995) << kernels::isa_name(isa);
  }
  const auto r = run("info " + file("bf16.aoiw").string());
  EXPECT_NE(r.output.find("bf16"), std::string::npos) << r.output;
  const std::string featurize = "featurize --weights " + file("bf16.aoiw").string() + " --features global -o " +
                                file("f.npy").string() + " " + (reference_dir() / "images" / "dog.jpg").string() +
                                " " + (reference_dir() / "images" / "coffee.png").string();
  const auto best = run(featurize);
  ASSERT_EQ(best.code, 0) << best.output;
  const bool best_native = kernels::bf16_native(kernels::best_isa());
  EXPECT_EQ(best.output.find("widened") == std::string::npos, best_native) << best.output;
  // A path without bf16 arithmetic: the note, once per process.
  const auto widened = run_limited("AOI_ISA=" + std::string(kernels::isa_name(*widened_isa)) + " ", featurize);
  ASSERT_EQ(widened.code, 0) << widened.output;
  const auto first = widened.output.find("bf16 weights");
  ASSERT_NE(first, std::string::npos) << widened.output;
  EXPECT_EQ(widened.output.find("bf16 weights", first + 1), std::string::npos) << "said twice: " << widened.output;
}

TEST_F(Quantized, CommandRefusesWhatItCannotDo) {
  const std::string w = weights::default_location().string();
  auto no_manifest = run("quantize --weights " + w + " -o " + file("x.aoiw").string());
  EXPECT_NE(no_manifest.code, 0);
  EXPECT_NE(no_manifest.output.find("--manifest"), std::string::npos) << no_manifest.output;
  EXPECT_FALSE(std::filesystem::exists(file("x.aoiw")));
  auto again = run("quantize --precision bf16 --weights " + file("int8.aoiw").string() + " -o " + file("x.aoiw").string());
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.output.find("quantize a float32 file"), std::string::npos) << again.output;
  std::ofstream(file("bad.csv")) << "path\n" << file("nothing.png").string() << "\n";
  auto unreadable = run("quantize --weights " + w + " --manifest " + file("bad.csv").string() + " -o " + file("x.aoiw").string());
  EXPECT_NE(unreadable.code, 0);
  EXPECT_NE(unreadable.output.find("bad.csv"), std::string::npos) << unreadable.output;
  EXPECT_FALSE(std::filesystem::exists(file("x.aoiw")));
  auto eigen = run("featurize --backend eigen --weights " + file("int8.aoiw").string() + " -o " + file("e.npy").string() +
                   " " + (reference_dir() / "images" / "dog.jpg").string());
  EXPECT_NE(eigen.code, 0);
  EXPECT_NE(eigen.output.find("backend aoi"), std::string::npos) << eigen.output;
}

}  // namespace
}  // namespace aoi::test
