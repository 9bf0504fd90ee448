// Anomaly mode's parts: the base64 that carries a bank in a bundle, the
// nearest-neighbour search against brute force, the coreset's k-center
// property, the patch descriptor's pooling and upsampling, and time-CV,
// training and bundles in anomaly and combined modes on data whose answer is
// known.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <set>

#include "aoi/error.hpp"
#include "anomaly/memory_bank.hpp"
#include "anomaly/patch_features.hpp"
#include "core/base64.hpp"
#include "pipeline/bundle.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/heatmap.hpp"
#include "pipeline/learner.hpp"

namespace aoi::test {
namespace {

std::vector<float> gaussian(std::size_t n, unsigned seed, float sd = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(Base64, RoundTripsEveryLengthAndRejectsDamage) {
  std::mt19937 rng(1);
  for (int n = 0; n < 40; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = char(rng() & 255);
    const auto text = base64_encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    EXPECT_EQ(base64_decode(text, "t"), bytes) << n;
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");  // RFC 4648 test vector
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_THROW(base64_decode("Zm9", "t"), aoi::Error);
  EXPECT_THROW(base64_decode("Zm*v", "t"), aoi::Error);
  EXPECT_THROW(base64_decode("Z===", "t"), aoi::Error);
  EXPECT_THROW(base64_decode("Zm8=Zm8=", "t"), aoi::Error);  // padding inside
}

// Decoding into the caller's buffer gives the same bytes, and a buffer of
// any other size is refused rather than written past or left part empty.
TEST(Base64, DecodesIntoABufferOfExactlyTheDecodedSize) {
  std::mt19937 rng(2);
  for (int n = 0; n < 24; ++n) {
    std::string bytes(n, '\0');
    for (auto& c : bytes) c = char(rng() & 255);
    const auto text = base64_encode(bytes);
    ASSERT_EQ(base64_decoded_size(text, "t"), std::size_t(n));
    std::vector<std::uint8_t> out(n + 1, 0xAB);
    base64_decode_into(text, std::span(out.data(), n), "t");
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), reinterpret_cast<const char*>(out.data()))) << n;
    EXPECT_EQ(out[n], 0xAB) << "wrote past the buffer at " << n;
    EXPECT_THROW(base64_decode_into(text, std::span(out.data(), n + 1), "t"), aoi::Error) << n;
  }
  EXPECT_THROW(base64_decoded_size("Zm9", "t"), aoi::Error);
}

// The search in GEMM form (|q|^2 + |b|^2 - 2 q.b, in chunks of the bank)
// against the plain definition, over a bank larger than one chunk.
TEST(MemoryBank, NearestMatchesBruteForce) {
  for (int dim : {8, 128}) {
    for (int rows : {1, 7, 1500}) {
      const auto points = gaussian(std::size_t(rows) * dim, 3 + rows);
      const anomaly::MemoryBank bank(points, dim, 1.0f);
      const int count = 37;
      const auto queries = gaussian(std::size_t(count) * dim, 5);
      std::vector<float> got(count), scratch;
      const float worst = bank.nearest(queries.data(), count, got.data(), scratch);
      float want_worst = 0;
      for (int q = 0; q < count; ++q) {
        double best = std::numeric_limits<double>::infinity();
        for (int r = 0; r < rows; ++r) {
          double d = 0;
          for (int k = 0; k < dim; ++k) {
            const double t = double(queries[q * dim + k]) - points[std::size_t(r) * dim + k];
            d += t * t;
          }
          best = std::min(best, d);
        }
        EXPECT_NEAR(got[q], std::sqrt(best), 1e-3 * (1 + std::sqrt(best))) << dim << " " << rows << " " << q;
        want_worst = std::max(want_worst, float(std::sqrt(best)));
      }
      EXPECT_NEAR(worst, want_worst, 1e-3 * (1 + want_worst));
    }
  }
}

// A bank keeps its points in the search's packed form alone: they unpack to
// the same bits, over several chunks, with a dimension that is not a
// multiple of anything; read from base64 a chunk at a time (chunks end
// inside groups of four characters), they are the same again, and padding
// inside the text is refused.
TEST(MemoryBank, PointsSurvivePackingAndChunkedBase64Exactly) {
  // 3: a chunk ends on a group boundary, so its text ends with the damaged
  // group; 7 and 128: inside a group.
  for (int dim : {3, 7, 128}) {
    for (int rows : {1, 1500, 2049}) {
      const auto points = gaussian(std::size_t(rows) * dim, 20 + rows + dim);
      const anomaly::MemoryBank bank(points, dim, 1.5f);
      ASSERT_EQ(bank.size(), std::size_t(rows));
      EXPECT_EQ(bank.points(), points) << dim << " " << rows;
      const std::string text = base64_encode(bank.to_bytes());
      const auto decoded = anomaly::MemoryBank::from_base64(text, dim, bank.scale(), "b");
      EXPECT_EQ(decoded.points(), points) << dim << " " << rows;
      if (rows > 1024) {
        // The group holding the end of the first chunk, its last character
        // made padding.
        std::string damaged = text;
        const std::size_t end_byte = std::size_t(1024) * dim * sizeof(float);
        damaged[4 * ((end_byte + 2) / 3) - 1] = '=';
        try {
          anomaly::MemoryBank::from_base64(damaged, dim, 1.0f, "b");
          ADD_FAILURE() << "padding inside the text was accepted: " << dim << " " << rows;
        } catch (const aoi::Error& e) {
          const std::string want = dim == 3 ? "padding inside the base64 text" : "invalid base64 character";
          EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
        }
      }
    }
  }
}

// Patches are searched in blocks of rows: a patch's distance is the same
// bits whichever block it falls in, alone or among a few hundred.
TEST(MemoryBank, DistancesDoNotDependOnHowManyPatchesAreSearchedTogether) {
  const int dim = 128, rows = 1500, count = 300;
  const anomaly::MemoryBank bank(gaussian(std::size_t(rows) * dim, 11), dim, 1.0f);
  const auto queries = gaussian(std::size_t(count) * dim, 12);
  std::vector<float> together(count), scratch;
  bank.nearest(queries.data(), count, together.data(), scratch);
  for (int q = 0; q < count; ++q) {
    float alone = -1;
    std::vector<float> own;
    bank.nearest(queries.data() + std::size_t(q) * dim, 1, &alone, own);
    ASSERT_EQ(alone, together[q]) << q;
  }
}

// k well separated clusters and a coreset of k points: greedy k-center takes
// one point from each cluster, so every patch lies near the bank.
TEST(MemoryBank, CoresetCoversEveryCluster) {
  const int dim = 16, clusters = 6, per_image = 50, images = 12;
  std::vector<std::vector<float>> data(images);
  std::mt19937 rng(2);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  for (int i = 0; i < images; ++i)
    for (int p = 0; p < per_image; ++p) {
      const int c = (i * per_image + p) % clusters;
      for (int k = 0; k < dim; ++k) data[i].push_back((k == c ? 100.0f : 0.0f) + noise(rng));
    }
  std::vector<const float*> ptrs;
  for (auto& d : data) ptrs.push_back(d.data());
  anomaly::BankParams params;
  params.max_points = clusters;
  params.sample = 400;  // fewer than the 600 patches: the draw is exercised too
  const auto bank = anomaly::MemoryBank::build(ptrs, per_image, dim, params, 2);
  ASSERT_EQ(bank.size(), std::size_t(clusters));
  const std::vector<float> bank_points = bank.points();
  std::set<int> seen;
  for (std::size_t r = 0; r < bank.size(); ++r) {
    const float* p = bank_points.data() + r * dim;
    seen.insert(int(std::max_element(p, p + dim) - p));
  }
  EXPECT_EQ(seen.size(), std::size_t(clusters)) << "one centre per cluster";
  std::vector<float> scratch;
  for (const auto& d : data) EXPECT_LT(bank.nearest(d.data(), per_image, nullptr, scratch), 1.0f);
  EXPECT_GT(bank.scale(), 0.0f);
  // The same inputs make the same bank (the draw is seeded).
  const auto again = anomaly::MemoryBank::build(ptrs, per_image, dim, params, 1);
  EXPECT_EQ(again.points(), bank_points);
  // Bytes round trip; damaged sizes and values are refused.
  const auto copy = anomaly::MemoryBank::from_bytes(bank.to_bytes(), dim, bank.scale(), "b");
  EXPECT_EQ(copy.points(), bank_points);
  EXPECT_THROW(anomaly::MemoryBank::from_bytes(bank.to_bytes().substr(1), dim, 1.0f, "b"), aoi::Error);
  std::string nan_bytes = bank.to_bytes();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan_bytes.data(), &nan, sizeof nan);
  EXPECT_THROW(anomaly::MemoryBank::from_bytes(nan_bytes, dim, 1.0f, "b"), aoi::Error);
  // From base64, as a bundle stores it: the same points and distances.
  const auto decoded = anomaly::MemoryBank::from_base64(base64_encode(bank.to_bytes()), dim, bank.scale(), "b");
  EXPECT_EQ(decoded.points(), bank_points);
  std::vector<float> near_bank(per_image), near_decoded(per_image);
  bank.nearest(data[0].data(), per_image, near_bank.data(), scratch);
  decoded.nearest(data[0].data(), per_image, near_decoded.data(), scratch);
  EXPECT_EQ(near_bank, near_decoded);
  EXPECT_THROW(anomaly::MemoryBank::from_base64(base64_encode(nan_bytes), dim, 1.0f, "b"), aoi::Error);
  EXPECT_THROW(anomaly::MemoryBank::from_base64(base64_encode(bank.to_bytes().substr(4)), dim, 1.0f, "b"),
               aoi::Error);
  EXPECT_THROW(anomaly::MemoryBank::from_base64("Zm9", dim, 1.0f, "b"), aoi::Error);
}

// A constant layer gives every patch the same half: pooling a constant is the
// constant and the projection is linear, so the half is the projection of the
// constant vector, and halves of two constants scale with them.
TEST(PatchFeatures, ConstantLayersGiveEqualPatchesAndAnImpulseStaysLocal) {
  const int c3 = 24, c4 = 40, side = 7, s4 = 4;
  anomaly::PatchProjector projector(c3, c4);
  std::vector<float> scratch(anomaly::PatchProjector::scratch_floats(side));
  std::vector<float> patches(std::size_t(side) * side * anomaly::kPatchDim, -1.0f);
  std::vector<float> res3(std::size_t(c3) * side * side), res4(std::size_t(c4) * s4 * s4);
  for (int c = 0; c < c3; ++c) std::fill_n(res3.begin() + c * side * side, side * side, float(c % 5) - 2);
  for (int c = 0; c < c4; ++c) std::fill_n(res4.begin() + c * s4 * s4, s4 * s4, float(c % 3));
  projector.add_res3(res3.data(), side, patches.data(), scratch.data());
  projector.add_res4(res4.data(), s4, side, patches.data(), scratch.data());
  double norm3 = 0, norm4 = 0;
  for (int d = 0; d < anomaly::kLayerDim; ++d) {
    norm3 += patches[d] * patches[d];
    norm4 += patches[anomaly::kLayerDim + d] * patches[anomaly::kLayerDim + d];
  }
  EXPECT_GT(norm3, 0);
  EXPECT_GT(norm4, 0);
  for (int p = 1; p < side * side; ++p)
    for (int d = 0; d < anomaly::kPatchDim; ++d)
      ASSERT_NEAR(patches[std::size_t(p) * anomaly::kPatchDim + d], patches[d], 1e-4) << p << " " << d;

  // One hot cell of res3: only patches within its 3 x 3 neighbourhood see it.
  std::fill(res3.begin(), res3.end(), 0.0f);
  for (int c = 0; c < c3; ++c) res3[std::size_t(c) * side * side + 3 * side + 3] = 1.0f;
  projector.add_res3(res3.data(), side, patches.data(), scratch.data());
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      double n = 0;
      for (int d = 0; d < anomaly::kLayerDim; ++d) n += std::abs(patches[(std::size_t(y) * side + x) * anomaly::kPatchDim + d]);
      const bool near = std::abs(y - 3) <= 1 && std::abs(x - 3) <= 1;
      EXPECT_EQ(n > 0, near) << y << "," << x;
    }
  EXPECT_EQ(anomaly::patch_grid_side(224), 28);
  EXPECT_EQ(anomaly::patch_grid_side(64), 8);
}

// Rows: 4 recipe features (noise) then 9 patches of 8 floats. Pass items'
// patches are noise around 0; a fail has one patch far away. Anomaly mode
// never sees a fail in training and still ranks every fail first.
struct Synthetic {
  static constexpr int kCols = 4, kPatches = 9, kDim = 8;
  std::vector<float> features;
  std::vector<int> labels;
  std::vector<std::int64_t> times;
  pipeline::LabelledData view() const {
    pipeline::LabelledData d;
    d.features = features.data();
    d.rows = labels.size();
    d.cols = kCols;
    d.labels = labels;
    d.times = times;
    d.patch_count = kPatches;
    d.patch_dim = kDim;
    return d;
  }
};

Synthetic synthetic(int n, unsigned seed) {
  Synthetic s;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (int i = 0; i < n; ++i) {
    const bool fail = i % 4 == 3;
    for (int c = 0; c < Synthetic::kCols; ++c) s.features.push_back(noise(rng));
    const int odd = int(rng() % Synthetic::kPatches);
    for (int p = 0; p < Synthetic::kPatches; ++p)
      for (int k = 0; k < Synthetic::kDim; ++k) s.features.push_back(noise(rng) * 0.3f + (fail && p == odd ? 4.0f : 0));
    s.labels.push_back(fail);
    s.times.push_back(i);
  }
  return s;
}

TEST(AnomalyMode, TimeCvRanksDefectsFirstFromGoodItemsOnly) {
  const auto s = synthetic(160, 4);
  pipeline::EvaluateOptions o;
  o.cv.folds = 3;
  o.params.threads = 2;
  o.params.num_rounds = 20;
  o.params.min_data_in_leaf = 2;
  o.bank.max_points = 64;
  o.bank.sample = 256;
  o.mode = pipeline::Mode::kAnomaly;
  const auto ev = pipeline::evaluate_time_cv(s.view(), o);
  ASSERT_EQ(ev.folds.size(), 3u);
  EXPECT_GT(ev.auc_mean, 0.99);
  // Supervised on the recipe part alone (noise) cannot do that.
  o.mode = pipeline::Mode::kSupervised;
  EXPECT_LT(pipeline::evaluate_time_cv(s.view(), o).auc_mean, 0.8);
  o.mode = pipeline::Mode::kCombined;
  EXPECT_GT(pipeline::evaluate_time_cv(s.view(), o).auc_mean, 0.95);
  // Multi-class data has no single "good" to learn in anomaly mode.
  auto multi = s.view();
  multi.num_classes = 3;
  o.mode = pipeline::Mode::kAnomaly;
  EXPECT_THROW(pipeline::evaluate_time_cv(multi, o), aoi::Error);
}

TEST(AnomalyMode, BundlesCarryTheModeAndTheBanks) {
  const auto s = synthetic(80, 5);
  std::vector<std::size_t> all(80);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto dir = std::filesystem::temp_directory_path() / ("aoi_test_anomaly_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (auto mode : {pipeline::Mode::kAnomaly, pipeline::Mode::kCombined}) {
    pipeline::EvaluateOptions o;
    o.mode = mode;
    o.params.threads = 1;
    o.params.num_rounds = 10;
    o.params.min_data_in_leaf = 2;
    o.bank.max_points = 32;
    pipeline::Learned learned = pipeline::learn(s.view(), all, o);
    EXPECT_EQ(learned.banks.size(), mode == pipeline::Mode::kAnomaly ? 1u : 2u);
    pipeline::ModelBundle b;
    b.mode = mode;
    b.model = learned.model;
    b.banks = learned.banks;
    b.created = "2026-12-05T00:00:00Z";
    const auto path = dir / (std::string(pipeline::mode_name(mode)) + ".json");
    pipeline::save_bundle(b, path);
    const auto loaded = pipeline::load_bundle(path);
    EXPECT_EQ(loaded.mode, mode);
    ASSERT_EQ(loaded.banks.size(), b.banks.size());
    for (std::size_t k = 0; k < b.banks.size(); ++k) {
      EXPECT_EQ(loaded.banks[k].scale(), b.banks[k].scale());
      EXPECT_EQ(loaded.banks[k].points(), b.banks[k].points());
    }
    // The loaded model scores rows exactly as the learnt one.
    const pipeline::RowScorer before(mode, learned.model, learned.banks, Synthetic::kCols, Synthetic::kPatches,
                                     Synthetic::kDim);
    const pipeline::RowScorer after(loaded.mode, loaded.model, loaded.banks, Synthetic::kCols, Synthetic::kPatches,
                                    Synthetic::kDim);
    pipeline::RowScorer::Scratch scratch;
    for (std::size_t r = 0; r < 10; ++r) {
      float p1 = 0, p2 = 0;
      before.score(s.view().row(r), &p1, scratch);
      after.score(s.view().row(r), &p2, scratch);
      EXPECT_EQ(p1, p2);
    }
    // A bank with the wrong patch width for the rows is refused.
    EXPECT_THROW(pipeline::RowScorer(mode, loaded.model, loaded.banks, Synthetic::kCols, Synthetic::kPatches, 16),
                 aoi::Error);
  }
  std::filesystem::remove_all(dir);
}

// Activations with one hot cell in res4 channel 0; P(fail) grows with res4's
// pooled channel 0. Leaving that cell out of the pooling is the only change
// that lowers P(fail), so it is the only warm cell of the map.
TEST(Heatmaps, PoolingOcclusionFindsTheCellThatCarriesTheEvidence) {
  pipeline::StageActivations a;
  auto layer = [](int channels, int side, unsigned seed) {
    pipeline::StageActivations::Layer l;
    l.channels = channels;
    l.side = side;
    l.data = gaussian(std::size_t(channels) * side * side, seed, 0.1f);
    for (auto& v : l.data) v = std::abs(v);
    return l;
  };
  a.res3 = layer(3, 8, 1);
  a.res4 = layer(5, 4, 2);
  a.res5 = layer(4, 2, 3);
  a.res4.data[1 * 4 + 2] = 5.0f;  // channel 0, row 1, column 2
  const std::size_t res4_ch0 = 4 + 3;
  std::vector<float> features(4 + 3 + 5 + 2, 0.5f);  // two trailing floats the map must leave alone
  int calls = 0;
  const auto map = pipeline::pooling_heatmap(a, FeatureRecipe::kStages, features, [&](const float* row) {
    ++calls;
    EXPECT_EQ(row[12], 0.5f);
    return 1.0f - std::exp(-row[res4_ch0]);
  });
  EXPECT_EQ(calls, 1 + 16);
  ASSERT_EQ(map.width, 4);
  ASSERT_EQ(map.height, 4);
  EXPECT_EQ(map.kind, Heatmap::Kind::kOcclusion);
  for (int i = 0; i < 16; ++i) {
    if (i == 1 * 4 + 2) EXPECT_GT(map.values[i], 0.05f);
    else EXPECT_EQ(map.values[i], 0.0f) << i;
  }
  // The global recipe sees only res5: its grid is res5's.
  const auto global = pipeline::pooling_heatmap(a, FeatureRecipe::kGlobal, features,
                                                [](const float* row) { return row[0] / 10; });
  EXPECT_EQ(global.width, 2);
  // No res5: refused.
  pipeline::StageActivations empty;
  EXPECT_THROW(pipeline::pooling_heatmap(empty, FeatureRecipe::kGlobal, features, [](const float*) { return 0.0f; }),
               aoi::Error);
}

TEST(Heatmaps, DistanceMapsAndOverlays) {
  const std::vector<float> d{0, 1, 3, 1};
  const auto map = pipeline::distance_heatmap(d, 2, 1.0f);
  EXPECT_EQ(map.kind, Heatmap::Kind::kPatchDistance);
  EXPECT_FLOAT_EQ(map.values[0], 0.0f);
  EXPECT_FLOAT_EQ(map.values[1], 0.5f);
  EXPECT_FLOAT_EQ(map.values[2], 0.75f);
  EXPECT_THROW(pipeline::distance_heatmap(d, 3, 1.0f), aoi::Error);
  // With thresholds (anomaly mode) the overlay spans pass to fail threshold.
  const pipeline::Thresholds t{0.4, 0.7};
  const auto r = pipeline::overlay_range(map, &t);
  EXPECT_FLOAT_EQ(r.low, 0.4f);
  EXPECT_FLOAT_EQ(r.high, 0.7f);
  // The overlay leaves cool cells' pixels as they were and reddens the hot one.
  io::Image grey;
  grey.width = grey.height = 40;
  grey.rgb.assign(40 * 40 * 3, 100);
  const auto out = pipeline::heatmap_overlay(grey, map, r.low, r.high);
  ASSERT_EQ(out.width, 40);
  auto px = [&](int x, int y, int c) { return out.rgb[(std::size_t(y) * 40 + x) * 3 + c]; };
  EXPECT_EQ(px(2, 2, 0), 100);    // cell (0, 0): value 0
  EXPECT_GT(px(2, 37, 0), 150);   // cell (1, 0): 0.75, above the fail threshold
  EXPECT_LT(px(2, 37, 1), 100);   // red, not yellow
}

}  // namespace
}  // namespace aoi::test
