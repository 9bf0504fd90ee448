// aoi train: trunk features + GBDT on a manifest into one model bundle. The
// decision thresholds come from time-based cross-validation (out-of-fold
// predictions), so they reflect how the model does on data it has not seen.
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>

#include "core/require.hpp"
#include "pipeline/learner.hpp"
#include "io/image.hpp"
#include "pipeline/bundle.hpp"
#include "pipeline/evaluation_json.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "evaluation_report.hpp"
#include "kernels/cpu.hpp"
#include "learn_flags.hpp"
#include "train_command.hpp"

namespace aoi::cli {
namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

void add_train_flags(CLI::App& cmd_ref, TrainArgs& args) {
  CLI::App* cmd = &cmd_ref;
  TrainArgs* a = &args;
  add_learn_flags(*cmd, a->learn, 0);
  cmd->add_option("-o,--output", a->output, "model bundle to write (JSON, docs/bundle.md)")
      ->required()
      ->check(output_extensions({".json"}));
  cmd->add_option("--pass-below", a->pass_below, "pass threshold on P(fail) (default: from CV at --target-recall)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--fail-from", a->fail_from, "fail threshold on P(fail) (default: from CV at --target-precision)")
      ->check(CLI::Range(0.0, 1.0 + 1e-6));
  cmd->add_option("--thresholds-from", a->thresholds_from,
                  "take the thresholds from an 'aoi evaluate --json' file of the same manifest (skips the CV here)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--report", a->report,
                  "write the cross-validation's HTML report (as aoi evaluate --report), naming the bundle written")
      ->check(output_extensions({".html"}));
  cmd->footer("With --folds 0 there is no cross-validation; thresholds then default to 0.5 (no review band).");
}

int run_train(const TrainArgs& args) {
  const TrainArgs* a = &args;
  {
    const Engine engine = open_learn_engine(a->learn);
    const auto fopts = featurize_options(a->learn);
    const auto data = featurize_manifest(engine, a->learn.manifest, manifest_options(a->learn.classes, true, a->learn.folds > 0 && a->thresholds_from.empty()),
                                         fopts, open_cache(a->learn.cache));
    const auto rows = labelled_rows(data);
    auto options = evaluate_options(a->learn);
    options.keep_models = !a->report.empty();
    require(a->report.empty() || (a->learn.folds > 0 && a->thresholds_from.empty()), ErrorKind::kInvalidArgument,
            "--report", "reports the cross-validation: needs --folds > 0 and no --thresholds-from");
    const auto view = rows.view(data, engine);
    std::optional<pipeline::Evaluation> evaluation;

    pipeline::ModelBundle bundle;
    bundle.thresholds = {0.5, 0.5};
    if (!a->thresholds_from.empty()) {
      const auto bytes = io::read_file(a->thresholds_from, std::int64_t(1) << 30);
      auto from = pipeline::parse_evaluation_thresholds(bytes, a->thresholds_from);
      bundle.thresholds = from.thresholds;
      bundle.training = std::move(from.facts);
      bundle.training.emplace_back("thresholds_from", a->thresholds_from);
    } else if (a->learn.folds > 0) {
      evaluation = pipeline::evaluate_time_cv(view, options);
      const auto& ev = *evaluation;
      print_evaluation(ev, options);
      bundle.thresholds = {ev.pass_point.threshold, ev.fail_point.threshold};
      bundle.training.emplace_back("cv_auc_mean", num(ev.auc_mean));
      bundle.training.emplace_back("cv_auc_sd", num(ev.auc_sd));
      bundle.training.emplace_back("cv_folds", std::to_string(a->learn.folds));
      bundle.training.emplace_back("cv_auto_pass", num(ev.pass_point.auto_pass));
      bundle.training.emplace_back("target_recall", num(options.target_recall));
      bundle.training.emplace_back("target_precision", num(options.target_precision));
    }
    // A fail threshold below the pass threshold would leave no review band and
    // contradict it: the pass threshold (the recall promise) wins.
    bundle.thresholds.fail_from = std::max(bundle.thresholds.fail_from, bundle.thresholds.pass_below);
    if (a->pass_below >= 0) bundle.thresholds.pass_below = a->pass_below;
    if (a->fail_from >= 0) bundle.thresholds.fail_from = a->fail_from;
    require(bundle.thresholds.pass_below <= bundle.thresholds.fail_from, ErrorKind::kInvalidArgument, "thresholds",
            "the pass threshold " + num(bundle.thresholds.pass_below) + " exceeds the fail threshold " +
                num(bundle.thresholds.fail_from));

    std::vector<std::size_t> all(view.rows);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    const auto start = std::chrono::steady_clock::now();
    pipeline::Learned learned = pipeline::learn(view, all, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bundle.mode = learned.mode;
    bundle.model = std::move(learned.model);
    bundle.banks = std::move(learned.banks);
    bundle.created = utc_now();
    bundle.weights_hash = engine.weights().payload_hash();
    bundle.feature_identity = engine.feature_identity();
    bundle.weights_source = engine.description().source;
    bundle.policy = fopts.policy.value_or(engine.description().preprocess.policy);
    bundle.recipe = engine.recipe();
    bundle.classes = data.manifest.classes;
    bundle.training.emplace_back("manifest", a->learn.manifest);
    bundle.training.emplace_back("items", std::to_string(rows.labels.size()));
    bundle.training.emplace_back("train_seconds", num(seconds));
    for (const auto& fact : a->facts) bundle.training.push_back(fact);
    pipeline::save_bundle(bundle, a->output);
    std::fprintf(stderr, "aoi: trained (%s mode) on %zu items in %.1f s; thresholds pass < %.5f, fail >= %.5f\n",
                 pipeline::mode_name(bundle.mode), rows.labels.size(), seconds, bundle.thresholds.pass_below,
                 bundle.thresholds.fail_from);
    std::fprintf(stderr, "aoi: wrote %s (model version %s)\n", a->output.c_str(), bundle.model_version.c_str());
    if (evaluation && !a->report.empty()) {
      std::vector<std::pair<std::string, std::string>> facts{
          {"model version", bundle.model_version},
          {"bundle", a->output},
          {"manifest", a->learn.manifest},
          {"items", std::to_string(data.items.size()) + " used, " + std::to_string(data.failed) + " skipped"},
          {"weights", engine.description().source},
          {"mode", pipeline::mode_name(bundle.mode)},
          {"features", feature_recipe_name(engine.recipe())},
          {"threads", std::to_string(engine.threads())},
          {"ISA", engine.backend() == Backend::kAoi ? kernels::isa_name(engine.isa()) : std::string("reference path")},
          {"featurize", std::to_string(data.seconds) + " s (" + std::to_string(data.cache_hits) + " from the cache)"},
          {"train", num(seconds) + " s"}};
      write_evaluation_report(a->report, "aoi train: " + std::filesystem::path(a->output).filename().string(), engine,
                              data, view, *evaluation, bundle.policy, facts);
    }
    return data.failed ? 1 : 0;
  }
}

Command add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "Train on a manifest into a model bundle (GBDT, weights hash, thresholds)");
  add_train_flags(*cmd, *a);
  return [a] { return run_train(*a); };
}

}  // namespace aoi::cli
