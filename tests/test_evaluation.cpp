// Time-based folds, operating points and curves, cross-validated evaluation,
// the model bundle and the HTML report.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "core/require.hpp"
#include "eval/metrics.hpp"
#include "eval/operating_point.hpp"
#include "eval/time_cv.hpp"
#include "gbdt/train.hpp"
#include "pipeline/bundle.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/report.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

TEST(TimeFolds, ExpandingWindowsNeverSplitGroupsOrLookAhead) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 30 + int(rng() % 200), folds = 1 + int(rng() % 6), gap = int(rng() % 3);
    std::vector<std::int64_t> times(n);
    std::vector<std::string> groups(n);
    for (int i = 0; i < n; ++i) {
      times[i] = std::int64_t(rng() % 1000);
      if (rng() % 3) groups[i] = "g" + std::to_string(rng() % (n / 2));  // some items ungrouped
    }
    // The time of a group is its earliest item's.
    std::map<std::string, std::int64_t> group_time;
    for (int i = 0; i < n; ++i)
      if (!groups[i].empty()) group_time.try_emplace(groups[i], times[i]), group_time[groups[i]] = std::min(group_time[groups[i]], times[i]);
    auto unit_time = [&](std::size_t i) { return groups[i].empty() ? times[i] : group_time[groups[i]]; };

    std::vector<eval::Fold> f;
    try {
      f = eval::time_folds(times, groups, {folds, gap});
    } catch (const Error&) {
      continue;  // too few groups for this many folds: checked separately
    }
    ASSERT_EQ(int(f.size()), folds);
    std::set<std::size_t> tested;
    std::int64_t previous_test_latest = INT64_MIN;
    for (int k = 0; k < folds; ++k) {
      ASSERT_FALSE(f[k].train.empty());
      ASSERT_FALSE(f[k].test.empty());
      std::int64_t latest_train = INT64_MIN, earliest_test = INT64_MAX;
      std::set<std::string> train_groups;
      for (auto i : f[k].train) latest_train = std::max(latest_train, unit_time(i)), train_groups.insert(groups[i]);
      for (auto i : f[k].test) {
        earliest_test = std::min(earliest_test, unit_time(i));
        if (!groups[i].empty()) {
          EXPECT_FALSE(train_groups.count(groups[i])) << "group in train and test";
        }
        EXPECT_TRUE(tested.insert(i).second) << "item tested twice";
      }
      EXPECT_LE(latest_train, earliest_test) << "training on the future";
      EXPECT_GE(earliest_test, previous_test_latest) << "test blocks out of time order";
      for (auto i : f[k].test) previous_test_latest = std::max(previous_test_latest, unit_time(i));
      if (k > 0) {
        EXPECT_GE(f[k].train.size(), f[k - 1].train.size()) << "window must expand";
      }
    }
  }
}

TEST(TimeFolds, BlocksAreEvenAndTheGapDropsUnits) {
  std::vector<std::int64_t> times(12);
  for (int i = 0; i < 12; ++i) times[i] = 100 - i;  // reverse order in the file
  const auto f = eval::time_folds(times, {}, {3, 0});
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].train.size(), 3u);
  EXPECT_EQ(f[0].test.size(), 3u);
  EXPECT_EQ(f[2].train.size(), 9u);
  EXPECT_EQ(f[0].test_time_begin, 92);  // times 89..100: block 0 is 89..91, block 1 is 92..94
  EXPECT_EQ(f[0].test_time_end, 94);
  const auto gapped = eval::time_folds(times, {}, {3, 2});
  EXPECT_EQ(gapped[0].train.size(), 1u);
  EXPECT_EQ(gapped[2].train.size(), 7u);
  EXPECT_THROW(eval::time_folds(times, {}, {3, 3}), Error);  // fold 1 left with no training data
  EXPECT_THROW(eval::time_folds(std::vector<std::int64_t>(4), {}, {4, 0}), Error);
}

// Scores 0.9..0.4 with labels 1 1 0 1 0 0: small enough to work out by hand.
const std::vector<float> kScores{0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f};
const std::vector<float> kLabels{1, 1, 0, 1, 0, 0};

TEST(OperatingPoint, RecallTargetPicksTheHighestSafeThreshold) {
  const auto all = eval::point_for_recall(kScores, kLabels, 1.0);
  EXPECT_FLOAT_EQ(all.threshold, 0.6f);
  EXPECT_DOUBLE_EQ(all.recall, 1.0);
  EXPECT_DOUBLE_EQ(all.precision, 0.75);
  EXPECT_DOUBLE_EQ(all.auto_pass, 2.0 / 6);
  EXPECT_DOUBLE_EQ(all.pass_cleared, 2.0 / 3);
  EXPECT_EQ(all.escapes, 0u);
  const auto two_thirds = eval::point_for_recall(kScores, kLabels, 0.6);  // ceil(1.8) = 2 fails
  EXPECT_FLOAT_EQ(two_thirds.threshold, 0.8f);
  EXPECT_EQ(two_thirds.escapes, 1u);
  EXPECT_DOUBLE_EQ(two_thirds.auto_pass, 4.0 / 6);
}

TEST(OperatingPoint, PrecisionTargetPicksTheLowestPureThreshold) {
  EXPECT_FLOAT_EQ(eval::point_for_precision(kScores, kLabels, 1.0).threshold, 0.8f);
  EXPECT_FLOAT_EQ(eval::point_for_precision(kScores, kLabels, 0.75).threshold, 0.6f);
  // The top item is a pass, so no threshold is 100% pure: nothing auto-fails.
  const std::vector<float> scores{0.9f, 0.5f, 0.4f}, top_is_pass{0, 1, 1};
  EXPECT_GT(eval::point_for_precision(scores, top_is_pass, 1.0).threshold, 1.0);
}

TEST(Curves, RocAndPrPointsByHand) {
  const auto roc = eval::roc_curve(kScores, kLabels);
  const std::vector<std::pair<double, double>> want{{0, 0}, {0, 1. / 3}, {0, 2. / 3}, {1. / 3, 2. / 3},
                                                    {1. / 3, 1}, {2. / 3, 1}, {1, 1}};
  ASSERT_EQ(roc.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_DOUBLE_EQ(roc[i].x, want[i].first) << i;
    EXPECT_DOUBLE_EQ(roc[i].y, want[i].second) << i;
  }
  // Trapezoids under the ROC points equal the Mann-Whitney AUC.
  double area = 0;
  for (std::size_t i = 1; i < roc.size(); ++i) area += (roc[i].x - roc[i - 1].x) * (roc[i].y + roc[i - 1].y) / 2;
  EXPECT_NEAR(area, eval::roc_auc(kScores, kLabels), 1e-12);
  const auto pr = eval::pr_curve(kScores, kLabels);
  ASSERT_EQ(pr.size(), 6u);
  EXPECT_DOUBLE_EQ(pr[2].x, 2. / 3);
  EXPECT_DOUBLE_EQ(pr[2].y, 2. / 3);
  EXPECT_DOUBLE_EQ(pr[3].y, 0.75);
  // Ties enter together: one point for two equal scores.
  EXPECT_EQ(eval::roc_curve(std::vector<float>{0.5f, 0.5f}, std::vector<float>{1, 0}).size(), 2u);
}

// Two informative columns out of eight; fails get a shift that grows a little with time.
struct Synthetic {
  std::vector<float> x;
  std::vector<int> y;
  std::vector<std::int64_t> t;
  std::vector<std::string> g;
  explicit Synthetic(int n, int classes = 2, unsigned seed = 7) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise;
    for (int i = 0; i < n; ++i) {
      const int label = int(rng() % classes);
      for (int c = 0; c < 8; ++c) x.push_back(noise(rng) + (c == label % 8 ? 2.0f * (label > 0) : 0.0f) + (c == 7 ? 1.5f * (label > 0) : 0));
      y.push_back(label);
      t.push_back(i / 3);
      g.push_back("pair" + std::to_string(i / 3));
    }
  }
  pipeline::LabelledData view(int classes = 2) const {
    return {x.data(), y.size(), 8, y, t, g, classes};
  }
};

TEST(Evaluate, SeparableDataScoresWellOutOfFold) {
  const Synthetic data(600);
  pipeline::EvaluateOptions o;
  o.params.num_rounds = 30;
  o.params.min_data_in_leaf = 5;
  o.cv.folds = 4;
  const auto ev = pipeline::evaluate_time_cv(data.view(), o);
  ASSERT_EQ(ev.folds.size(), 4u);
  EXPECT_GT(ev.auc_mean, 0.9);
  std::size_t scored = 0;
  for (std::size_t i = 0; i < data.y.size(); ++i) scored += !std::isnan(ev.fail_score[i]);
  std::size_t tested = 0, in_confusion = 0;
  for (const auto& f : ev.folds) tested += f.test.size();
  for (const auto& row : ev.confusion)
    for (auto n : row) in_confusion += n;
  EXPECT_EQ(scored, tested);
  EXPECT_EQ(in_confusion, tested);
  EXPECT_LT(scored, data.y.size());  // the first block is never tested
  EXPECT_GE(ev.pass_point.recall, 0.99);
  // The mean is the mean of the folds.
  double sum = 0;
  for (const auto& f : ev.folds) sum += f.auc;
  EXPECT_NEAR(ev.auc_mean, sum / 4, 1e-12);
  // Fold AUCs are recomputable from the out-of-fold scores.
  std::vector<float> s, l;
  for (auto i : ev.folds[1].test) s.push_back(ev.fail_score[i]), l.push_back(data.y[i]);
  EXPECT_DOUBLE_EQ(ev.folds[1].auc, eval::roc_auc(s, l));
}

TEST(Evaluate, MultiClassGivesAConfusionMatrixAndFailScores) {
  const Synthetic data(900, 4);
  pipeline::EvaluateOptions o;
  o.params.num_rounds = 20;
  o.params.min_data_in_leaf = 5;
  o.cv.folds = 3;
  const auto ev = pipeline::evaluate_time_cv(data.view(4), o);
  ASSERT_EQ(ev.confusion.size(), 4u);
  std::size_t right = 0, total = 0;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) total += ev.confusion[a][b], right += a == b ? ev.confusion[a][b] : 0;
  EXPECT_GT(double(right) / total, 0.6);
  EXPECT_GT(ev.auc_mean, 0.85);  // fail = any class but pass
}

TEST(Bundle, SaveLoadKeepsPredictionsAndRefusesTampering) {
  const Synthetic data(300);
  std::vector<float> y(data.y.begin(), data.y.end());
  gbdt::Params p;
  p.num_rounds = 10;
  pipeline::ModelBundle b;
  b.model = gbdt::train(p, {data.x.data(), data.y.size(), 8, y, {}});
  b.thresholds = {0.125, 0.875};
  b.weights_hash = 0x0123456789abcdefULL;
  b.created = "2026-01-01T00:00:00Z";
  b.training = {{"manifest", "m.csv"}};
  const fs::path path = fs::temp_directory_path() / ("aoi_test_bundle_" + std::to_string(getpid()) + ".json");
  pipeline::save_bundle(b, path);
  EXPECT_EQ(b.model_version.rfind("aoi-", 0), 0u);
  const auto loaded = pipeline::load_bundle(path);
  EXPECT_EQ(loaded.model_version, b.model_version);
  EXPECT_EQ(loaded.weights_hash, b.weights_hash);
  EXPECT_EQ(loaded.thresholds.pass_below, 0.125);
  EXPECT_EQ(loaded.classes, b.classes);
  const gbdt::Predictor before(b.model), after(loaded.model);
  EXPECT_EQ(before.predict_batch(data.x, data.y.size(), 1), after.predict_batch(data.x, data.y.size(), 1));

  EXPECT_EQ(loaded.thresholds.decide(0.1), pipeline::Decision::kPass);
  EXPECT_EQ(loaded.thresholds.decide(0.125), pipeline::Decision::kReview);
  EXPECT_EQ(loaded.thresholds.decide(0.875), pipeline::Decision::kFail);

  auto rewrite = [&](const std::string& from, const std::string& to) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(path) << text;
  };
  rewrite("0.125", "0.120");
  try {
    pipeline::load_bundle(path);
    FAIL() << "a tampered bundle loaded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": checksum mismatch: the bundle was edited or damaged");
  }
  rewrite("\"format_version\": 1", "\"format_version\": 9");
  try {
    pipeline::load_bundle(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bundle format version 9 is not supported"), std::string::npos) << e.what();
  }
  std::ofstream(path) << "{\"format\": \"aoi-model-bundle\"";
  EXPECT_THROW(pipeline::load_bundle(path), Error);
  std::ofstream(path) << "[1, 2]";
  EXPECT_THROW(pipeline::load_bundle(path), Error);
  fs::remove(path);
}

TEST(Report, OneSelfContainedFileWithCurvesMatrixAndThumbnails) {
  const fs::path dir = fs::temp_directory_path() / ("aoi_test_report_" + std::to_string(getpid()));
  fs::create_directories(dir);
  io::Image image;
  image.width = 20, image.height = 10;
  image.rgb.assign(20 * 10 * 3, 0);
  for (std::size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = std::uint8_t(i * 7);
  const auto png = io::encode_png(image);
  std::ofstream(dir / "x.png", std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  // encode_png round-trips through the decoder.
  EXPECT_EQ(io::decode_image(png, "x.png").rgb, image.rgb);

  const Synthetic data(120);
  pipeline::EvaluateOptions o;
  o.params.num_rounds = 5;
  o.params.min_data_in_leaf = 3;
  o.cv.folds = 2;
  const auto ev = pipeline::evaluate_time_cv(data.view(), o);
  pipeline::ReportInput in;
  in.evaluation = &ev;
  in.labels = data.y;
  in.classes = {"pass", "fail"};
  in.facts = {{"manifest", "<m>.csv"}};
  for (std::size_t i = 0; i < data.y.size(); ++i) in.items.push_back({(dir / (i % 5 ? "x.png" : "gone.png")).string(), {}});
  in.gallery = 4;
  pipeline::write_report(dir / "r.html", in);
  std::ifstream f(dir / "r.html");
  const std::string html((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(html.find("http"), html.find("http://www.w3.org/2000/svg"));  // no external assets
  EXPECT_EQ(std::count(html.begin(), html.end(), '\n'), 1);
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = html.find(what); at != std::string::npos; at = html.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<svg"), 3u);           // ROC, PR, score histogram
  EXPECT_EQ(count("<polyline"), 4u);      // one per fold in each curve plot
  EXPECT_EQ(count("class='mark'"), 4u);   // both operating points on both curves
  EXPECT_EQ(count("class='histogram'"), 1u);
  EXPECT_GE(count("data:image/png;base64,"), 1u);

  // What the thresholds decide, counted here from the scores directly.
  const double pass_t = ev.pass_point.threshold, fail_t = std::max(ev.fail_point.threshold, pass_t);
  std::size_t expect[2][3] = {}, band = 0;
  for (std::size_t i = 0; i < ev.fail_score.size(); ++i) {
    const float p = ev.fail_score[i];
    if (std::isnan(p)) continue;
    const int d = p < pass_t ? 0 : p >= fail_t ? 2 : 1;
    ++expect[data.y[i] != 0][d];
    band += d == 1;
  }
  const auto all = pipeline::decision_counts(ev, data.y);
  std::size_t per_fold[2][3] = {};
  for (int f = 0; f < int(ev.folds.size()); ++f) {
    const auto d = pipeline::decision_counts(ev, data.y, f);
    for (int t = 0; t < 2; ++t)
      for (int k = 0; k < 3; ++k) per_fold[t][k] += d.counts[t][k];
  }
  for (int t = 0; t < 2; ++t)
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(all.counts[t][k], expect[t][k]) << t << k;
      EXPECT_EQ(per_fold[t][k], expect[t][k]) << t << k;  // the folds' test blocks partition the scored items
    }
  EXPECT_EQ(all.escapes(), expect[1][0]);
  EXPECT_GT(all.items(), 0u);
  EXPECT_NE(html.find("<td class='l'>all folds</td><td>" + std::to_string(expect[0][0]) + "</td><td>" +
                      std::to_string(expect[0][1]) + "</td>"),
            std::string::npos);
  EXPECT_EQ(count("<tr><td class='l'>fold "), ev.folds.size());
  // 4 misses + 4 false alarms + up to 4 of the review band
  EXPECT_EQ(count("<figure>"), 8u + std::min<std::size_t>(4, band));
  EXPECT_NE(html.find(std::to_string(band) + " items between the thresholds"), std::string::npos);
  EXPECT_NE(html.find("<th class='l'>CPU</th>"), std::string::npos);
  EXPECT_NE(html.find("&lt;m&gt;.csv"), std::string::npos);  // escaped
  fs::remove_all(dir);
}

}  // namespace
}  // namespace aoi::test
