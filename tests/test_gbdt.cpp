// The GBDT trainer and predictor: known splits, brute-force agreement,
// determinism across threads, model files, and every kind of bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>

#include "core/require.hpp"
#include "eval/metrics.hpp"
#include "gbdt/train.hpp"

namespace aoi::test {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Data {
  std::vector<float> x, y;
  std::size_t rows = 0, cols = 0;
  gbdt::DataView view() const { return {x.data(), rows, cols, y, {}}; }
};

// Binary data whose label depends on features 0 and 1 (with noise); the rest is noise.
Data make_data(std::size_t rows, std::size_t cols, unsigned seed, double missing = 0.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0, 1);
  std::uniform_real_distribution<float> u(0, 1);
  Data d{std::vector<float>(rows * cols), std::vector<float>(rows), rows, cols};
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) d.x[i * cols + j] = n(rng);
    const float z = 1.5f * d.x[i * cols] - d.x[i * cols + 1] + 0.5f * n(rng);
    d.y[i] = z > 0.8f ? 1.0f : 0.0f;
    for (std::size_t j = 0; j < cols; ++j)
      if (u(rng) < missing) d.x[i * cols + j] = kNaN;
  }
  return d;
}

gbdt::Params params(std::vector<std::string> extra = {}) { return gbdt::parse_params(extra); }

std::vector<float> predict(const gbdt::Model& m, const Data& d) { return gbdt::Predictor(m).predict_batch(d.x, d.rows, 1); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GbdtParams, DefaultsComeFromTheTableAndBadValuesAreNamed) {
  const gbdt::Params p;
  EXPECT_EQ(p.num_leaves, 31);
  EXPECT_EQ(p.objective, "binary");
  bool found = false;
  for (const auto& row : gbdt::param_table())
    if (row.name == "num_leaves") {
      found = true;
      EXPECT_EQ(row.default_value, "31");
    }
  EXPECT_TRUE(found);
  EXPECT_NE(error_of([] { params({"num_leafs=3"}); }).find("unknown parameter 'num_leafs'"), std::string::npos);
  EXPECT_NE(error_of([] { params({"num_leaves=1"}); }).find("parameter num_leaves: 1 is outside [2, 4096]"), std::string::npos);
  EXPECT_NE(error_of([] { params({"learning_rate=fast"}); }).find("'fast' is not a number"), std::string::npos);
  EXPECT_NE(error_of([] { params({"objective=poisson"}); }).find("'poisson' is not one of binary|multiclass"), std::string::npos);
  EXPECT_NE(error_of([] { params({"objective=multiclass"}); }).find("num_class"), std::string::npos);
  EXPECT_NE(error_of([] { params({"class_weights=1,2,3"}); }).find("needs 2 values"), std::string::npos);
  EXPECT_NE(error_of([] { params({"seed"}); }).find("expected name=value"), std::string::npos);
}

TEST(GbdtTrain, FindsTheKnownBestSplit) {
  // Label is exactly x1 > 2.5; feature 0 is noise: the root split must be x1 <= 2.5.
  Data d{{}, {}, 40, 2};
  std::mt19937 rng(1);
  for (int i = 0; i < 40; ++i) {
    const float v = float(i % 6);
    d.x.push_back(float(rng() % 100));
    d.x.push_back(v);
    d.y.push_back(v > 2.5f ? 1.0f : 0.0f);
  }
  const auto m = gbdt::train(params({"num_rounds=1", "num_leaves=2", "min_data_in_leaf=1"}), d.view());
  ASSERT_EQ(m.trees.size(), 1u);
  ASSERT_EQ(m.trees[0].feature.size(), 1u);
  EXPECT_EQ(m.trees[0].feature[0], 1);
  EXPECT_GT(m.trees[0].threshold[0], 2.0f);
  EXPECT_LT(m.trees[0].threshold[0], 3.0f);
  const auto p = predict(m, d);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(p[i] > 0.5f, d.y[i] > 0.5f);
}

// Brute force over every threshold and both missing directions, using the
// first round's gradients (all rows share the base score); each side needs
// at least min_data rows.
double brute_force_gain(const Data& d, double lambda, std::size_t min_data = 1) {
  double mean = 0;
  for (float y : d.y) mean += y;
  mean /= d.rows;
  std::vector<double> g(d.rows), h(d.rows);
  double G = 0, H = 0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    g[i] = float(mean - d.y[i]), h[i] = float(mean * (1 - mean));
    G += g[i], H += h[i];
  }
  auto term = [&](double a, double b) { return a * a / (b + lambda); };
  const std::size_t least = std::max<std::size_t>(min_data, 1);  // rows each side needs
  double best = 0;
  for (std::size_t f = 0; f < d.cols; ++f) {
    std::vector<float> values;
    for (std::size_t i = 0; i < d.rows; ++i)
      if (!std::isnan(d.x[i * d.cols + f])) values.push_back(d.x[i * d.cols + f]);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (std::size_t t = 0; t < values.size(); ++t)
      for (bool nan_left : {false, true}) {
        double gl = 0, hl = 0;
        std::size_t nl = 0;
        for (std::size_t i = 0; i < d.rows; ++i) {
          const float v = d.x[i * d.cols + f];
          if (std::isnan(v) ? nan_left : v <= values[t]) gl += g[i], hl += h[i], ++nl;
        }
        if (nl < least || d.rows - nl < least) continue;
        best = std::max(best, term(gl, hl) + term(G - gl, H - hl) - term(G, H));
      }
  }
  return best;
}

TEST(GbdtTrain, RootSplitAgreesWithBruteForceOnTinyProblems) {
  for (unsigned seed = 1; seed <= 25; ++seed) {
    std::mt19937 rng(seed);
    Data d{{}, {}, 20 + rng() % 40, 1 + rng() % 4};
    for (std::size_t i = 0; i < d.rows * d.cols; ++i) d.x.push_back(rng() % 7 == 0 ? kNaN : float(rng() % 9));
    for (std::size_t i = 0; i < d.rows; ++i) d.y.push_back(float(rng() % 2));
    if (std::count(d.y.begin(), d.y.end(), 1.0f) == 0) d.y[0] = 1;
    if (std::count(d.y.begin(), d.y.end(), 0.0f) == 0) d.y[0] = 0;
    const auto m = gbdt::train(
        params({"num_rounds=1", "num_leaves=2", "min_data_in_leaf=1", "min_sum_hessian_in_leaf=0", "lambda_l2=1"}),
        d.view());
    const double expected = brute_force_gain(d, 1.0);
    SCOPED_TRACE(seed);
    if (expected <= 1e-12) {
      EXPECT_TRUE(m.trees[0].feature.empty());
      continue;
    }
    ASSERT_EQ(m.trees[0].gain.size(), 1u);
    EXPECT_NEAR(m.trees[0].gain[0], expected, 1e-9 * std::max(1.0, expected));
  }
}

// Enough rows that the root is searched from histograms (with the data's
// bin counts, counted once), feature counts that leave a short group of
// features, and a min_data_in_leaf that binds, so that wrong counts would
// show.
TEST(GbdtTrain, RootSplitFromHistogramsAgreesWithBruteForce) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    std::mt19937 rng(seed);
    Data d{{}, {}, 600 + rng() % 400, 9 + rng() % 8};
    for (std::size_t i = 0; i < d.rows * d.cols; ++i) d.x.push_back(rng() % 7 == 0 ? kNaN : float(rng() % 9));
    for (std::size_t i = 0; i < d.rows; ++i) {  // the label leans on feature 0 so that splits exist
      const float v = d.x[i * d.cols];
      d.y.push_back(float((std::isnan(v) ? 4.0f : v) + float(rng() % 6) > 7.0f));
    }
    const std::size_t min_data = seed % 2 ? 1 : d.rows * 2 / 5;
    const auto m = gbdt::train(params({"num_rounds=1", "num_leaves=2", "min_sum_hessian_in_leaf=0", "lambda_l2=1",
                                       "min_data_in_leaf=" + std::to_string(min_data)}),
                               d.view());
    const double expected = brute_force_gain(d, 1.0, min_data);
    SCOPED_TRACE(testing::Message() << "seed " << seed << " rows " << d.rows << " min_data " << min_data);
    ASSERT_GT(expected, 1e-6);
    ASSERT_EQ(m.trees[0].gain.size(), 1u);
    EXPECT_NEAR(m.trees[0].gain[0], expected, 1e-9 * std::max(1.0, expected));
  }
}

TEST(GbdtTrain, LearnsAndIsIdenticalForEveryThreadCount) {
  const Data train = make_data(3000, 12, 1, 0.02), test = make_data(1000, 12, 2, 0.02);
  std::string first;
  for (int threads : {1, 2, 3}) {
    const auto m = gbdt::train(params({"num_rounds=40", "bagging_fraction=0.8", "feature_fraction=0.7", "seed=3",
                                       "threads=" + std::to_string(threads)}),
                               train.view());
    // The metadata records the thread count; everything else must match.
    auto bare = m;
    bare.metadata.clear();
    const auto model_part = gbdt::to_json_text(bare);
    if (first.empty()) {
      first = model_part;
      EXPECT_GT(eval::roc_auc(predict(m, test), test.y), 0.9);
    } else {
      EXPECT_EQ(model_part, first) << threads << " threads";
    }
    std::vector<double> leaves;
    for (const auto& t : m.trees) leaves.insert(leaves.end(), t.leaf_value.begin(), t.leaf_value.end());
    static std::vector<double> reference;
    if (threads == 1) reference = leaves;
    else EXPECT_EQ(leaves, reference) << threads << " threads";
  }
}

// Splits from quantized gradients: the same model on every thread count
// (integer sums do not depend on their order), about the exact model's
// accuracy, and leaf values from the exact gradients.
TEST(GbdtTrain, QuantizedGradientsLearnAndAreIdenticalForEveryThreadCount) {
  const Data train = make_data(3000, 12, 1, 0.02), test = make_data(1000, 12, 2, 0.02);
  const auto exact = gbdt::train(params({"num_rounds=40"}), train.view());
  const double exact_auc = eval::roc_auc(predict(exact, test), test.y);
  for (int levels : {4, 64}) {
    std::string first;
    for (int threads : {1, 2}) {
      const auto m = gbdt::train(params({"num_rounds=40", "grad_quant_bins=" + std::to_string(levels),
                                         "threads=" + std::to_string(threads)}),
                                 train.view());
      auto bare = m;
      bare.metadata.clear();
      if (first.empty()) {
        first = gbdt::to_json_text(bare);
        EXPECT_GT(eval::roc_auc(predict(m, test), test.y), exact_auc - 0.01) << levels << " levels";
        auto exact_bare = exact;
        exact_bare.metadata.clear();
        EXPECT_NE(first, gbdt::to_json_text(exact_bare));  // the option is in effect
      } else {
        EXPECT_EQ(gbdt::to_json_text(bare), first) << levels << " levels, " << threads << " threads";
      }
    }
  }
  // Leaf values are -G / (H + l2) of the exact sums: a one-split tree must
  // give each side its exact mean (l2 = 0, no shrinkage).
  const Data one = make_data(400, 2, 5);
  const auto stump = gbdt::train(params({"num_rounds=1", "num_leaves=2", "learning_rate=1", "grad_quant_bins=2",
                                         "min_sum_hessian_in_leaf=0"}),
                                 one.view());
  ASSERT_EQ(stump.trees.size(), 1u);
  ASSERT_EQ(stump.trees[0].feature.size(), 1u);
  const int feature = stump.trees[0].feature[0];
  const double threshold = stump.trees[0].threshold[0], base = stump.base_score[0];
  const double p = 1 / (1 + std::exp(-base));
  for (int side = 0; side < 2; ++side) {
    double sum_g = 0, sum_h = 0;
    for (std::size_t i = 0; i < one.rows; ++i)
      if ((one.x[i * one.cols + feature] <= threshold) == (side == 0)) sum_g += p - one.y[i], sum_h += p * (1 - p);
    const double expected = -sum_g / sum_h;
    EXPECT_NEAR(stump.trees[0].leaf_value[side], expected, 1e-4 * std::max(1.0, std::fabs(expected))) << side;
  }
}

TEST(GbdtTrain, SeedsChangeSampledModels) {
  const Data d = make_data(1000, 8, 3);
  const auto a = gbdt::train(params({"num_rounds=5", "bagging_fraction=0.5", "seed=1"}), d.view());
  const auto b = gbdt::train(params({"num_rounds=5", "bagging_fraction=0.5", "seed=2"}), d.view());
  const auto c = gbdt::train(params({"num_rounds=5", "bagging_fraction=0.5", "seed=1"}), d.view());
  EXPECT_NE(a.trees[0].leaf_value, b.trees[0].leaf_value);
  EXPECT_EQ(a.trees[0].leaf_value, c.trees[0].leaf_value);
}

TEST(GbdtTrain, MissingValuesFollowTheLearnedDirection) {
  // The label is "feature 0 is missing": only the missing direction can separate it.
  Data d{{}, {}, 400, 2};
  for (int i = 0; i < 400; ++i) {
    const bool pos = i % 4 == 0;
    d.x.push_back(pos ? kNaN : float(i % 7));
    d.x.push_back(float(i % 5));
    d.y.push_back(pos ? 1.0f : 0.0f);
  }
  const auto m = gbdt::train(params({"num_rounds=20", "num_leaves=4"}), d.view());
  const auto p = predict(m, d);
  EXPECT_DOUBLE_EQ(eval::roc_auc(p, d.y), 1.0);
}

TEST(GbdtTrain, MulticlassSoftmaxSeparatesThreeClasses) {
  Data d = make_data(1500, 6, 5);
  for (std::size_t i = 0; i < d.rows; ++i) d.y[i] = d.x[i * 6] < -0.5f ? 0.0f : d.x[i * 6] < 0.5f ? 1.0f : 2.0f;
  const auto m = gbdt::train(params({"objective=multiclass", "num_class=3", "metric=logloss", "num_rounds=30"}), d.view());
  EXPECT_EQ(m.trees.size(), 90u);
  const auto p = predict(m, d);
  int correct = 0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    EXPECT_NEAR(p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 1.0, 1e-5);
    const int arg = int(std::max_element(&p[3 * i], &p[3 * i] + 3) - &p[3 * i]);
    correct += arg == int(d.y[i]);
  }
  EXPECT_GT(correct, int(0.95 * d.rows));
}

TEST(GbdtTrain, EarlyStoppingKeepsTheBestRound) {
  const Data train = make_data(400, 30, 6), valid = make_data(400, 30, 7);
  auto v = valid.view();
  std::vector<double> metric;
  const auto m = gbdt::train(params({"num_rounds=400", "learning_rate=0.3", "num_leaves=16", "min_data_in_leaf=2",
                                     "early_stopping_rounds=10", "metric=logloss"}),
                             train.view(), &v, [&](const gbdt::RoundLog& log) { metric.push_back(log.valid_metric); });
  ASSERT_LT(metric.size(), 400u) << "overfitting should stop training early";
  const int best = int(std::min_element(metric.begin(), metric.end()) - metric.begin());
  EXPECT_EQ(m.rounds(), best + 1);
  EXPECT_EQ(int(metric.size()), best + 1 + 10);
}

TEST(GbdtTrain, ClassWeightsShiftTheBaseScore) {
  const Data d = make_data(1000, 4, 8);
  const auto plain = gbdt::train(params({"num_rounds=1"}), d.view());
  const auto weighted = gbdt::train(params({"num_rounds=1", "scale_pos_weight=5"}), d.view());
  const auto classes = gbdt::train(params({"num_rounds=1", "class_weights=1,5"}), d.view());
  EXPECT_GT(weighted.base_score[0], plain.base_score[0]);
  EXPECT_DOUBLE_EQ(weighted.base_score[0], classes.base_score[0]);
}

TEST(GbdtTrain, BadInputIsAClearError) {
  const Data d = make_data(100, 3, 9);
  gbdt::DataView empty{d.x.data(), 0, 3, {}, {}};
  EXPECT_NE(error_of([&] { gbdt::train(params(), empty); }).find("training data: no data"), std::string::npos);
  std::vector<float> ones(100, 1.0f);
  EXPECT_NE(error_of([&] { gbdt::train(params(), {d.x.data(), 100, 3, ones, {}}); }).find("all labels are one class"),
            std::string::npos);
  auto bad = d.y;
  bad[7] = 2;
  EXPECT_NE(error_of([&] { gbdt::train(params(), {d.x.data(), 100, 3, bad, {}}); }).find("label 2.000000 of row 7"),
            std::string::npos);
  bad[7] = kNaN;
  EXPECT_NE(error_of([&] { gbdt::train(params(), {d.x.data(), 100, 3, bad, {}}); }).find("label of row 7 is NaN"),
            std::string::npos);
  EXPECT_NE(error_of([&] { gbdt::train(params(), {d.x.data(), 100, 3, {d.y.data(), 99}, {}}); }).find("99 labels for 100 rows"),
            std::string::npos);
  const auto m = gbdt::train(params({"num_rounds=2"}), d.view());
  EXPECT_NE(error_of([&] { m.check_feature_count(4, "x.npy"); }).find("x.npy: the model was trained on 3 features, the data has 4"),
            std::string::npos);
  EXPECT_THROW(gbdt::Predictor(m).predict_batch(d.x, 101), Error);
  EXPECT_NE(error_of([&] { gbdt::train(params({"grad_quant_bins=1"}), d.view()); })
                .find("parameter grad_quant_bins: must be 0 (off) or at least 2 levels"),
            std::string::npos);
  gbdt::DataView narrow{d.x.data(), 50, 2, {d.y.data(), 50}, {}};
  EXPECT_NE(error_of([&] { gbdt::train(params(), d.view(), &narrow); }).find("validation data: has 2 features"),
            std::string::npos);
}

TEST(GbdtModel, SaveAndLoadGiveBitIdenticalPredictions) {
  const Data d = make_data(800, 5, 10, 0.05);
  const auto m = gbdt::train(params({"num_rounds=25"}), d.view());
  const auto dir = std::filesystem::temp_directory_path() / ("aoi_gbdt_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  gbdt::save_model(m, dir / "m.json");
  gbdt::save_model(m, dir / "m.aoig");
  const auto p = predict(m, d);
  EXPECT_EQ(predict(gbdt::load_model(dir / "m.json"), d), p);
  EXPECT_EQ(predict(gbdt::load_model(dir / "m.aoig"), d), p);
  EXPECT_LT(std::filesystem::file_size(dir / "m.aoig"), std::filesystem::file_size(dir / "m.json"));
  // Single-row and batch paths agree.
  gbdt::Predictor predictor(m);
  float one;
  predictor.predict_proba(d.x.data() + 5 * 5, &one);
  EXPECT_EQ(one, p[5]);
  std::filesystem::remove_all(dir);
}

TEST(GbdtModel, CorruptedFilesAreRefusedClearly) {
  const Data d = make_data(300, 4, 11);
  const auto m = gbdt::train(params({"num_rounds=3"}), d.view());
  auto bytes = gbdt::to_binary(m);
  auto flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  EXPECT_NE(error_of([&] { gbdt::from_binary(flipped, "m.aoig"); }).find("m.aoig: invalid model: checksum mismatch"),
            std::string::npos);
  EXPECT_NE(error_of([&] { gbdt::from_binary(std::span(bytes).first(bytes.size() / 3), "m.aoig"); }).find("m.aoig: invalid model"),
            std::string::npos);
  auto text = gbdt::to_json_text(m);
  EXPECT_NE(error_of([&] { gbdt::from_json_text(text.substr(0, text.size() / 2), "m.json"); }).find("m.json: invalid model: malformed JSON"),
            std::string::npos);
  auto wrong_version = text;
  wrong_version.replace(wrong_version.find("\"version\":1"), 11, "\"version\":7");
  EXPECT_NE(error_of([&] { gbdt::from_json_text(wrong_version, "m.json"); }).find("model version 7 is not supported"),
            std::string::npos);
  auto cyclic = m;
  if (!cyclic.trees[0].left.empty()) {
    cyclic.trees[0].left[0] = 0;  // a node pointing at itself
    EXPECT_NE(error_of([&] { cyclic.validate("m"); }).find("child out of range"), std::string::npos);
  }
}

TEST(GbdtModel, ImportanceCountsSplitsAndRanksTheSignal) {
  const Data d = make_data(2000, 10, 12);
  const auto m = gbdt::train(params({"num_rounds=20"}), d.view());
  const auto splits = m.importance(gbdt::Model::Importance::kSplitCount);
  const auto gain = m.importance(gbdt::Model::Importance::kTotalGain);
  std::size_t nodes = 0;
  for (const auto& t : m.trees) nodes += t.feature.size();
  EXPECT_DOUBLE_EQ(std::accumulate(splits.begin(), splits.end(), 0.0), double(nodes));
  EXPECT_EQ(std::max_element(gain.begin(), gain.end()) - gain.begin(), 0);  // feature 0 carries most signal
}

}  // namespace
}  // namespace aoi::test
