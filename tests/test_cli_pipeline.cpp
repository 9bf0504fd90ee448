// aoi train, evaluate and score end to end on a small random ResNet and
// generated images whose label is visible (fails carry a bright square).
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "aoi/inspector.hpp"
#include "io/csv.hpp"
#include "io/image.hpp"
#include "support/image_writers.hpp"
#include "support/random_resnet.hpp"
#include "aoi/version.h"
#include "support/run_cli.hpp"

namespace aoi::test {
namespace {

namespace fs = std::filesystem;

class CliPipeline : public ::testing::Test {
 protected:
  static constexpr int kItems = 40;
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("aoi_test_cli_pipeline_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "img");
    setenv("AOI_CACHE_DIR", (dir_ / "cache").c_str(), 1);
    write_weights("tiny.aoiw", 1);
    write_weights("other.aoiw", 2);
    std::mt19937 rng(9);
    std::ofstream manifest(dir_ / "m.csv");
    manifest << "path,label,time,group\n";
    for (int i = 0; i < kItems; ++i) {
      const bool fail = i % 3 == 1;
      std::vector<std::uint16_t> px(48 * 48 * 3);
      for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 48; ++x)
          for (int c = 0; c < 3; ++c) {
            const bool square = fail && x >= 12 && x < 36 && y >= 12 && y < 36;
            px[(y * 48 + x) * 3 + c] = std::uint16_t(square ? 200 + rng() % 56 : rng() % 90);
          }
      const auto png = encode_png(48, 48, PNG_COLOR_TYPE_RGB, 8, px);
      const std::string name = "img/" + std::to_string(i) + ".png";
      std::ofstream(dir_ / name, std::ios::binary).write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
      manifest << name << "," << (fail ? "fail" : "pass") << "," << i << ",g" << i / 2 << "\n";
    }
    manifest << "img/missing.png,pass,99,g99\n";  // reported and skipped
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static void write_weights(const std::string& name, unsigned seed) {
    TinyResNetSpec spec;
    spec.seed = seed;
    const auto bytes = tiny_weight_file(spec, 64, dir_);
    std::ofstream(dir_ / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  static std::string p(const std::string& name) { return (dir_ / name).string(); }
  static std::string common() { return " --weights " + p("tiny.aoiw") + " --threads 2 -p num_rounds=20 -p min_data_in_leaf=2"; }
  static nlohmann::json read_json(const std::string& name) {
    std::ifstream in(p(name));
    return nlohmann::json::parse(in);
  }
  static inline fs::path dir_;
};

TEST_F(CliPipeline, EvaluateWritesPerFoldAucAndUsesTheCacheTheSecondTime) {
  const auto r = run("evaluate --manifest " + p("m.csv") + " --cv time --folds 3" + common() + " --json " + p("e.json") +
                     " --report " + p("e.html"));
  EXPECT_EQ(r.code, 1) << r.output;  // one row was skipped
  EXPECT_NE(r.output.find(p("m.csv") + ":42: " + p("img/missing.png") + ": no such file"), std::string::npos) << r.output;
  const auto j = read_json("e.json");
  ASSERT_EQ(j["auc"].size(), 3u);
  double sum = 0;
  for (const auto& a : j["auc"]) sum += a.get<double>();
  EXPECT_NEAR(j["auc_mean"].get<double>(), sum / 3, 1e-12);
  EXPECT_GT(j["auc_mean"].get<double>(), 0.8) << "a bright square should be easy to see";
  EXPECT_EQ(j["items"].get<int>(), kItems);
  EXPECT_EQ(j["folds"][0]["train_items"].get<int>() + j["folds"][0]["test_items"].get<int>() <= kItems, true);
  EXPECT_GE(j["operating_point"]["recall"].get<double>(), 0.99);
  EXPECT_TRUE(fs::file_size(p("e.html")) > 1000);
  EXPECT_EQ(j["timings"]["cache_hits"].get<int>(), 0);

  const auto again = run("evaluate --manifest " + p("m.csv") + " --folds 3" + common() + " --json " + p("e2.json"));
  const auto j2 = read_json("e2.json");
  EXPECT_EQ(j2["timings"]["cache_hits"].get<int>(), kItems) << again.output;
  EXPECT_EQ(j2["auc"], j["auc"]);  // same features, same seed: the same result
}

TEST_F(CliPipeline, TrainThenScoreAManifestAndImagesWithBadOnesReported) {
  const auto t = run("train --manifest " + p("m.csv") + " --folds 3" + common() + " -o " + p("model.json"));
  ASSERT_EQ(t.code, 1) << t.output;  // the missing row
  ASSERT_TRUE(fs::exists(p("model.json"))) << t.output;
  const auto bundle = read_json("model.json");
  EXPECT_EQ(bundle["format"], "aoi-model-bundle");
  EXPECT_LE(bundle["thresholds"]["pass_below"].get<double>(), bundle["thresholds"]["fail_from"].get<double>());

  std::ofstream(p("broken.png")) << "garbage";
  const auto s = run("score --model " + p("model.json") + " --weights " + p("tiny.aoiw") + " --manifest " + p("m.csv") +
                     " -o " + p("r.csv") + " " + p("broken.png") + " " + p("img/1.png"));
  EXPECT_EQ(s.code, 1) << s.output;
  EXPECT_NE(s.output.find(p("broken.png")), std::string::npos) << s.output;
  const auto rows = io::read_csv(p("r.csv"));
  ASSERT_EQ(rows.size(), std::size_t(1 + kItems + 1));  // header, manifest items, img/1.png
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"path", "x", "y", "w", "h", "label", "p_fail", "decision", "model_version"}));
  int right = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& f = rows[r].fields;
    const std::string decision = f[7];
    EXPECT_TRUE(decision == "pass" || decision == "review" || decision == "fail") << decision;
    EXPECT_EQ(f[8], bundle["model_version"].get<std::string>());
    const double prob = std::stod(f[6]);
    EXPECT_TRUE(prob >= 0 && prob <= 1);
    if (!f[5].empty()) right += (f[5] == "fail") == (prob >= 0.5);
  }
  EXPECT_GE(right, kItems - 2) << "the model scores its own training data";

  const auto jl = run("score --model " + p("model.json") + " --weights " + p("tiny.aoiw") + " -o " + p("r.jsonl") + " " +
                      p("img"));
  EXPECT_EQ(jl.code, 0) << jl.output;
  std::ifstream in(p("r.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("p_fail") && j.contains("decision") && j.contains("path"));
  }
  EXPECT_EQ(lines, kItems);

  const auto other = run("score --model " + p("model.json") + " --weights " + p("other.aoiw") + " -o " + p("x.csv") + " " +
                         p("img/1.png"));
  EXPECT_EQ(other.code, 1);
  EXPECT_NE(other.output.find("trained on trunk weights"), std::string::npos) << other.output;

  std::ofstream(p("tampered.json")) << "{\"format\": \"aoi-model-bundle\", \"format_version\": 1}";
  const auto bad = run("score --model " + p("tampered.json") + " --weights " + p("tiny.aoiw") + " -o " + p("x.csv") + " " +
                       p("img/1.png"));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find(p("tampered.json")), std::string::npos) << bad.output;
}

// A recipe chosen at training is recorded in the bundle, and scoring (and
// every Inspector) computes those features without being told.
TEST_F(CliPipeline, TheFeatureRecipeTravelsWithTheBundle) {
  const auto t = run("train --manifest " + p("m.csv") + " --folds 3 --features stages" + common() + " -o " +
                     p("stages.json"));
  ASSERT_TRUE(fs::exists(p("stages.json"))) << t.output;
  const auto bundle = read_json("stages.json");
  EXPECT_EQ(bundle["preprocess"]["features"], "stages");
  const auto s = run("score --model " + p("stages.json") + " --weights " + p("tiny.aoiw") + " -o " + p("stages.csv") +
                     " " + p("img/1.png"));
  EXPECT_EQ(s.code, 0) << s.output;
  auto width = [&](const std::string& recipe) {
    const auto f = run("featurize --no-cache --features " + recipe + " --weights " + p("tiny.aoiw") + " -o " +
                       p(recipe + ".npy") + " " + p("img/1.png") + " " + p("img/2.png"));
    EXPECT_EQ(f.code, 0) << f.output;
    const auto at = f.output.find("wrote 2 x ");
    return at == std::string::npos ? -1 : std::stoi(f.output.substr(at + 10));
  };
  const int global = width("global"), stages = width("stages");
  EXPECT_GT(global, 0);
  EXPECT_GT(stages, global) << "res3 and res4 come after the global features";
  const auto bad = run("train --manifest " + p("m.csv") + " --features tiles" + common() + " -o " + p("x.json"));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("tiles"), std::string::npos) << bad.output;
}

// Anomaly and combined modes end to end: evaluate, train (with the report),
// the bundle's mode, score with heatmaps, and the library's explain() whose
// hottest patch is the anomaly score itself.
TEST_F(CliPipeline, AnomalyAndCombinedModesTrainScoreAndExplain) {
  const auto e = run("evaluate --manifest " + p("m.csv") + " --folds 3 --mode anomaly --bank-size 64" + common() +
                     " --no-cache --json " + p("anomaly_eval.json"));
  EXPECT_EQ(e.code, 1) << e.output;  // the missing image is reported and skipped
  const auto ev = read_json("anomaly_eval.json");
  EXPECT_EQ(ev["mode"], "anomaly");
  EXPECT_GT(ev["auc_mean"].get<double>(), 0.8) << "the bright square is unlike any pass patch";
  for (const std::string mode : {"anomaly", "combined"}) {
    const auto t = run("train --manifest " + p("m.csv") + " --folds 3 --mode " + mode + " --bank-size 64" + common() +
                       " -o " + p(mode + ".json") + " --report " + p(mode + ".html"));
    ASSERT_TRUE(fs::exists(p(mode + ".json"))) << t.output;
    EXPECT_EQ(read_json(mode + ".json")["mode"], mode);
    std::ifstream html(p(mode + ".html"));
    const std::string report((std::istreambuf_iterator<char>(html)), std::istreambuf_iterator<char>());
    EXPECT_NE(report.find(read_json(mode + ".json")["model_version"].get<std::string>()), std::string::npos);
    EXPECT_NE(report.find("Beside each item"), std::string::npos) << "heatmaps in the galleries";
    EXPECT_EQ(report.find("class='broken'"), std::string::npos);
    const auto heat = p(mode + "_heat");
    const auto s = run("score --model " + p(mode + ".json") + " --weights " + p("tiny.aoiw") + " -o " +
                       p(mode + ".csv") + " --heatmaps " + heat + " " + p("img/1.png") + " " + p("img/2.png"));
    EXPECT_EQ(s.code, 0) << s.output;
    for (const std::string png : {"00000-1.png", "00001-2.png"}) {
      ASSERT_TRUE(fs::exists(fs::path(heat) / png)) << png << "\n" << s.output;
      const auto image = io::read_image(fs::path(heat) / png);
      EXPECT_EQ(image.width, 64);  // the tiny trunk's input
    }
    const auto inspector = Inspector::open(p(mode + ".json"), {2, p("tiny.aoiw")});
    Heatmap map;
    const auto fail = inspector.explain_file(p("img/1.png"), std::nullopt, map);
    EXPECT_EQ(map.kind, Heatmap::Kind::kPatchDistance);
    EXPECT_EQ(map.width, 8);  // res3's grid at 64 pixels
    if (mode == "anomaly") {
      EXPECT_NEAR(*std::max_element(map.values.begin(), map.values.end()), fail.p_fail, 1e-5);
    }
    const auto pass = inspector.inspect_file(p("img/0.png"));
    EXPECT_LT(pass.p_fail, fail.p_fail) << mode;
  }
  const auto bad = run("train --manifest " + p("m.csv") + " --mode anomaly --classes pass,fail,other" + common() +
                       " -o " + p("x.json"));
  EXPECT_NE(bad.code, 0);
}

TEST_F(CliPipeline, TrainTakesThresholdsFromAnEvaluation) {
  run("evaluate --manifest " + p("m.csv") + " --folds 3" + common() + " --json " + p("t.json"));
  const auto e = read_json("t.json");
  const auto t = run("train --manifest " + p("m.csv") + common() + " --thresholds-from " + p("t.json") + " -o " +
                     p("tb.json"));
  ASSERT_TRUE(fs::exists(p("tb.json"))) << t.output;
  EXPECT_EQ(t.output.find("ROC AUC"), std::string::npos) << "no second cross-validation";
  const auto b = read_json("tb.json");
  EXPECT_EQ(b["thresholds"]["pass_below"].get<double>(), e["operating_point"]["threshold"].get<double>());
  EXPECT_EQ(b["thresholds"]["fail_from"].get<double>(),
            std::max(e["fail_point"]["threshold"].get<double>(), e["operating_point"]["threshold"].get<double>()));
  std::ofstream(p("notjson.json")) << "{\"auc\": [";
  const auto bad = run("train --manifest " + p("m.csv") + common() + " --thresholds-from " + p("notjson.json") + " -o " +
                       p("x.json"));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find(p("notjson.json") + ": invalid JSON"), std::string::npos) << bad.output;
}

TEST_F(CliPipeline, HelpAndBadArguments) {
  for (const std::string cmd : {"train --help", "evaluate --help", "score --help"}) {
    const auto h = run(cmd);
    EXPECT_EQ(h.code, 0) << cmd;
    EXPECT_NE(h.output.find("--manifest"), std::string::npos) << cmd;
  }
  EXPECT_EQ(run("evaluate --manifest " + p("m.csv") + " --cv random").code, 2);
  const auto too_many = run("evaluate --manifest " + p("m.csv") + " --folds 60" + common());
  EXPECT_EQ(too_many.code, 1);
  EXPECT_NE(too_many.output.find("60 folds need at least 61 groups, have 20"), std::string::npos) << too_many.output;
  const auto param = run("evaluate --manifest " + p("m.csv") + common() + " -p num_leaves=1");
  EXPECT_EQ(param.code, 1);
  EXPECT_NE(param.output.find("num_leaves"), std::string::npos) << param.output;
}

// Every output-writing command, its output on a file system with no room
// (ulimit -f 0: writes fail with EFBIG), exits 1 (not by a signal) and leaves
// the previous file byte-identical and no temporary file behind.
TEST_F(CliPipeline, FullDiskLeavesEveryPreviousOutputIntact) {
  // Inputs, made normally.
  ASSERT_EQ(run("featurize --manifest " + p("m.csv") + " --weights " + p("tiny.aoiw") + " -o " + p("fx.npy")).code, 1);
  {
    std::ofstream labels(dir_ / "fx_labels.csv");
    for (int i = 0; i < kItems; ++i) labels << (i % 3 == 1) << "\n";
  }
  ASSERT_EQ(run("gbdt train --features " + p("fx.npy") + " --labels " + p("fx_labels.csv") +
                " -p num_rounds=5 -p min_data_in_leaf=2 -o " + p("fx_model.json")).code, 0);
  ASSERT_EQ(run("train --manifest " + p("m.csv") + common() + " -o " + p("fx_bundle.json")).code, 1);  // 1: one bad row

  const fs::path out_dir = dir_ / "outputs";
  fs::create_directories(out_dir);
  const std::string o = out_dir.string() + "/";
  const std::vector<std::pair<std::string, std::string>> commands{
      {"f.npy", "featurize --manifest " + p("m.csv") + " --weights " + p("tiny.aoiw") + " --no-cache -o " + o + "f.npy"},
      {"m.json", "gbdt train --features " + p("fx.npy") + " --labels " + p("fx_labels.csv") + " -p num_rounds=5 -o " + o + "m.json"},
      {"m.aoig", "gbdt train --features " + p("fx.npy") + " --labels " + p("fx_labels.csv") + " -p num_rounds=5 -o " + o + "m.aoig"},
      {"p.csv", "gbdt predict --model " + p("fx_model.json") + " --features " + p("fx.npy") + " -o " + o + "p.csv"},
      {"p.npy", "gbdt predict --model " + p("fx_model.json") + " --features " + p("fx.npy") + " -o " + o + "p.npy"},
      {"b.json", "train --manifest " + p("m.csv") + common() + " -o " + o + "b.json"},
      {"e.json", "evaluate --manifest " + p("m.csv") + common() + " --folds 3 --json " + o + "e.json"},
      {"r.html", "evaluate --manifest " + p("m.csv") + common() + " --folds 3 --report " + o + "r.html"},
      {"s.csv", "score --model " + p("fx_bundle.json") + " --weights " + p("tiny.aoiw") + " --manifest " + p("m.csv") + " -o " + o + "s.csv"},
      {"s.jsonl", "score --model " + p("fx_bundle.json") + " --weights " + p("tiny.aoiw") + " --manifest " + p("m.csv") + " -o " + o + "s.jsonl"},
  };
  for (const auto& [file, args] : commands) {
    const std::string previous = "the previous " + file + ", which must survive\n";
    std::ofstream(out_dir / file, std::ios::binary) << previous;
    const auto r = run_limited("ulimit -f 0; ", args);
    EXPECT_EQ(r.code, 1) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(file), std::string::npos) << "the error names the output: " << r.output;
    std::ifstream in(out_dir / file, std::ios::binary);
    const std::string now((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(now, previous) << args;
    for (const auto& entry : fs::directory_iterator(out_dir))
      EXPECT_TRUE(entry.path().filename().string().find(".tmp") == std::string::npos)
          << "temporary file left behind: " << entry.path();
  }
}

TEST_F(CliPipeline, UsageErrorsNameTheMistakeAndSuggest) {
  const auto version = run("--version");
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.output.rfind("aoi " + std::string(AOI_VERSION_STRING), 0), 0u) << version.output;

  const auto command = run("scroe --model x.json -o y.csv");
  EXPECT_EQ(command.code, 2);
  EXPECT_NE(command.output.find("unknown command 'scroe'; did you mean 'score'?"), std::string::npos) << command.output;
  const auto flag = run("score --modle x.json -o y.csv a.png");
  EXPECT_EQ(flag.code, 2);
  EXPECT_NE(flag.output.find("unknown option '--modle'; did you mean '--model'?"), std::string::npos) << flag.output;
  const auto sub = run("gbdt trian");
  EXPECT_EQ(sub.code, 2);
  EXPECT_NE(sub.output.find("did you mean 'train'?"), std::string::npos) << sub.output;
  const auto none = run("gbdt");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.output.find("a command is required: train, predict, params, importance"), std::string::npos) << none.output;

  // An output the command cannot write is a usage error, before any work.
  const auto ext = run("featurize --weights " + p("tiny.aoiw") + " -o " + p("x.csv") + " " + p("img/0.png"));
  EXPECT_EQ(ext.code, 2);
  EXPECT_NE(ext.output.find("this command writes .npy files"), std::string::npos) << ext.output;
  EXPECT_FALSE(fs::exists(dir_ / "x.csv"));
  EXPECT_EQ(run("score --model m.json -o r.txt a.png").code, 2);
  EXPECT_EQ(run("train --manifest m.csv -o model.bin").code, 2);

  // --help shows defaults and ranges.
  const auto help = run("score --help");
  EXPECT_NE(help.output.find("[1 - 1024]"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("=8"), std::string::npos) << "the batch default: " << help.output;
  // gbdt train's row weights no longer share the trunk's --weights flag.
  EXPECT_NE(run("gbdt train --help").output.find("--sample-weights"), std::string::npos);
}

TEST_F(CliPipeline, ProgressLinesWhenStderrIsNotATerminalAndQuietSilencesThem) {
  // AOI_PROGRESS_SECONDS=0: a line at every batch instead of every few seconds.
  const std::string args = "featurize --manifest " + p("m.csv") + " --weights " + p("tiny.aoiw") +
                           " --no-cache --batch 8 -o " + p("progress.npy");
  const auto talk = run_limited("AOI_PROGRESS_SECONDS=0 ", args);
  EXPECT_NE(talk.output.find("aoi: featurize 8/40 (20%)"), std::string::npos) << talk.output;
  EXPECT_NE(talk.output.find("img/s ETA"), std::string::npos) << talk.output;
  EXPECT_EQ(talk.output.find("\r"), std::string::npos) << "no terminal redraws into a pipe";
  const auto quiet = run_limited("AOI_PROGRESS_SECONDS=0 ", "--quiet " + args);
  EXPECT_EQ(quiet.output.find("img/s ETA"), std::string::npos) << quiet.output;
  EXPECT_NE(quiet.output.find("aoi: wrote"), std::string::npos) << "the summary still prints: " << quiet.output;
}

}  // namespace
}  // namespace aoi::test
