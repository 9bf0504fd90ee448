#include "learn_flags.hpp"

#include "anomaly/patch_features.hpp"
#include "core/require.hpp"

namespace aoi::cli {

void add_learn_flags(CLI::App& cmd, LearnFlags& f, int default_folds_min) {
  cmd.add_option("--manifest", f.manifest, "manifest CSV: path,label,time[,group][,x,y,w,h] (docs/manifest.md)")
      ->required();
  cmd.add_option("--folds", f.folds, "time-based CV folds (expanding window)")->check(CLI::Range(default_folds_min, 100));
  cmd.add_option("--gap", f.gap, "groups left out between each training window and its test block")
      ->check(CLI::Range(0, 1 << 30));
  cmd.add_option("--target-recall", f.target_recall,
                 "the pass threshold catches at least this share of fails (escape rate = 1 - this)")
      ->check(CLI::Range(0.5, 1.0));
  cmd.add_option("--target-precision", f.target_precision, "the fail threshold: flagged items are at least this pure")
      ->check(CLI::Range(0.5, 1.0));
  cmd.add_option("-p,--param", f.params, "a GBDT parameter as name=value (repeatable; list: aoi gbdt params)");
  cmd.add_option("--policy", f.policy, "resize policy: stretch or imagenet (default: the weight file's)")
      ->check(CLI::IsMember({"stretch", "imagenet"}));
  cmd.add_option("--batch", f.batch, "images per trunk call")->check(CLI::Range(1, 1024));
  std::vector<std::string> mode_names;
  std::string mode_doc = "what learns:";
  for (const auto& m : pipeline::modes()) {
    mode_names.emplace_back(m.name);
    mode_doc += std::string(" ") + m.name + " (" + m.doc + ");";
  }
  mode_doc.pop_back();
  cmd.add_option("--mode", f.mode, mode_doc)->check(CLI::IsMember(mode_names))->capture_default_str();
  cmd.add_option("--bank-size", f.bank_points,
                 "anomaly and combined modes: patches the memory bank keeps (coreset size); more costs more per image")
      ->check(CLI::Range(std::size_t(16), anomaly::BankParams{}.sample))
      ->capture_default_str();
  add_class_flags(cmd, f.classes);
  add_cache_flags(cmd, f.cache);
  add_engine_flags(cmd, f.engine);
  add_features_flag(cmd, f.engine);
}

Engine open_learn_engine(const LearnFlags& flags) {
  EngineFlags engine = flags.engine;
  engine.patches = pipeline::mode_uses_patches(pipeline::parse_mode(flags.mode));
  return open_engine(engine);
}

gbdt::Params learn_params(const LearnFlags& flags) {
  auto assignments = flags.params;
  assignments.insert(assignments.begin(), "threads=" + std::to_string(flags.engine.threads));
  return gbdt::parse_params(assignments);
}

pipeline::EvaluateOptions evaluate_options(const LearnFlags& flags) {
  pipeline::EvaluateOptions o;
  o.mode = pipeline::parse_mode(flags.mode);
  o.bank.max_points = flags.bank_points;
  o.params = learn_params(flags);
  o.cv.folds = flags.folds;
  o.cv.gap = flags.gap;
  o.target_recall = flags.target_recall;
  o.target_precision = flags.target_precision;
  return o;
}

pipeline::FeaturizeOptions featurize_options(const LearnFlags& flags) {
  pipeline::FeaturizeOptions o;
  o.batch = flags.batch;
  if (!flags.policy.empty()) o.policy = image::parse_policy(flags.policy);
  return o;
}

LabelledRows labelled_rows(const ManifestFeatures& data) {
  const auto& m = data.manifest;
  require(!m.multiclass || (!m.classes.empty() && m.classes[0] == "pass"), ErrorKind::kInvalidArgument,
          m.file.string(), "a multi-class manifest needs 'pass' as its first class");
  LabelledRows rows;
  for (auto i : data.items) {
    const auto& item = m.items[i];
    rows.labels.push_back(item.label);
    rows.times.push_back(item.time);
    rows.groups.push_back(item.group);
  }
  return rows;
}

pipeline::LabelledData LabelledRows::view(const ManifestFeatures& data, const Engine& engine) const {
  pipeline::LabelledData d;
  d.features = data.features.data();
  d.rows = labels.size();
  d.cols = std::size_t(engine.recipe_dim());
  d.patch_count = engine.patch_count();
  d.patch_dim = d.patch_count ? anomaly::kPatchDim : 0;
  require(d.stride() == std::size_t(data.dim), ErrorKind::kInvalidArgument, "features", "rows are not the engine's");
  d.labels = labels;
  d.times = times;
  d.groups = groups;
  d.num_classes = int(data.manifest.classes.size());
  return d;
}

}  // namespace aoi::cli

namespace aoi::cli {
namespace {

nlohmann::json point_json(const eval::OperatingPoint& p) {
  return {{"threshold", p.threshold}, {"recall", p.recall},       {"precision", p.precision},
          {"auto_pass", p.auto_pass}, {"pass_cleared", p.pass_cleared}, {"items", p.items},
          {"fails", p.fails},         {"escapes", p.escapes}};
}

}  // namespace

nlohmann::json evaluation_json(const pipeline::Evaluation& ev, const pipeline::EvaluateOptions& options,
                               const std::vector<std::string>& classes) {
  nlohmann::json j;
  j["cv"] = {{"kind", "time"}, {"folds", options.cv.folds}, {"gap", options.cv.gap}};
  j["classes"] = classes;
  auto folds = nlohmann::json::array(), auc = nlohmann::json::array(), pr = nlohmann::json::array();
  for (std::size_t f = 0; f < ev.folds.size(); ++f) {
    const auto& r = ev.folds[f];
    folds.push_back({{"fold", f + 1},
                     {"train_items", r.train_items},
                     {"test_items", r.test_items},
                     {"test_fails", r.test_fails},
                     {"test_time_begin", r.test_time_begin},
                     {"test_time_end", r.test_time_end},
                     {"auc", r.auc},
                     {"pr_auc", r.pr_auc},
                     {"train_seconds", r.train_seconds},
                     {"score_seconds", r.score_seconds}});
    auc.push_back(r.auc);  // NaN (a fold with one class) is written as null
    pr.push_back(r.pr_auc);
  }
  j["folds"] = folds;
  j["auc"] = auc;
  j["auc_mean"] = ev.auc_mean;
  j["auc_sd"] = ev.auc_sd;
  j["pr_auc"] = pr;
  j["pr_auc_mean"] = ev.pr_auc_mean;
  j["pr_auc_sd"] = ev.pr_auc_sd;
  auto pass = point_json(ev.pass_point);
  pass["target_recall"] = options.target_recall;
  auto fail = point_json(ev.fail_point);
  fail["target_precision"] = options.target_precision;
  j["operating_point"] = pass;
  j["fail_point"] = fail;
  j["confusion"] = ev.confusion;
  return j;
}

void print_evaluation(const pipeline::Evaluation& ev, const pipeline::EvaluateOptions& options) {
  std::printf("fold  train  test  fails  ROC AUC  PR AUC  train s\n");
  for (std::size_t f = 0; f < ev.folds.size(); ++f) {
    const auto& r = ev.folds[f];
    std::printf("%4zu  %5zu  %4zu  %5zu  %7.4f  %6.4f  %7.1f\n", f + 1, r.train_items, r.test_items, r.test_fails,
                r.auc, r.pr_auc, r.train_seconds);
  }
  std::printf("ROC AUC %.4f +- %.4f, PR AUC %.4f +- %.4f\n", ev.auc_mean, ev.auc_sd, ev.pr_auc_mean, ev.pr_auc_sd);
  const auto& p = ev.pass_point;
  std::printf("at %.1f%% recall: threshold %.5f, %zu of %zu fails escape, auto-pass %.1f%% of items (%.1f%% of passes)\n",
              100 * options.target_recall, p.threshold, p.escapes, p.fails, 100 * p.auto_pass, 100 * p.pass_cleared);
  std::printf("auto-fail from %.5f: precision %.1f%%, recall %.1f%%\n", ev.fail_point.threshold,
              100 * ev.fail_point.precision, 100 * ev.fail_point.recall);
}

}  // namespace aoi::cli
