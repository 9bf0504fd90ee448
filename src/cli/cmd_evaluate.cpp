// aoi evaluate: time-based cross-validation of trunk features + GBDT on a
// manifest, with a JSON summary for machines and an HTML report for people.
#include <chrono>
#include <fstream>
#include <iostream>

#include "core/require.hpp"
#include "kernels/cpu.hpp"
#include "io/atomic_file.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "evaluation_report.hpp"
#include "learn_flags.hpp"

namespace aoi::cli {

Command add_evaluate(CLI::App& app) {
  struct Args {
    LearnFlags learn;
    std::string cv = "time", json, report;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("evaluate", "Time-based cross-validation on a manifest: AUC per fold, operating point, report");
  add_learn_flags(*cmd, a->learn, 1);
  cmd->add_option("--cv", a->cv, "cross-validation scheme; 'time' = expanding window over the time column")
      ->check(CLI::IsMember({"time"}));
  cmd->add_option("--json", a->json, "write the results as JSON (auc, auc_mean, folds, operating_point, ...)")
      ->check(output_extensions({".json"}));
  cmd->add_option("--report", a->report, "write a self-contained HTML report")->check(output_extensions({".html"}));
  return [a] {
    const auto total_start = std::chrono::steady_clock::now();
    const Engine engine = open_learn_engine(a->learn);
    const auto data = featurize_manifest(engine, a->learn.manifest,
                                         manifest_options(a->learn.classes, true, true),
                                         featurize_options(a->learn), open_cache(a->learn.cache));
    const auto rows = labelled_rows(data);
    auto options = evaluate_options(a->learn);
    options.keep_models = !a->report.empty();  // the report's heatmaps
    const auto cv_start = std::chrono::steady_clock::now();
    const auto view = rows.view(data, engine);
    const auto ev = pipeline::evaluate_time_cv(view, options);
    const double cv_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cv_start).count();
    print_evaluation(ev, options);

    std::vector<std::pair<std::string, std::string>> facts{
        {"manifest", a->learn.manifest},
        {"items", std::to_string(data.items.size()) + " used, " + std::to_string(data.failed) + " skipped"},
        {"weights", engine.description().source},
        {"mode", pipeline::mode_name(options.mode)},
        {"features", std::string(feature_recipe_name(engine.recipe())) + ", " + std::to_string(engine.recipe_dim()) +
                         " per item" +
                         (engine.patch_count() ? " + " + std::to_string(engine.patch_count()) + " patches" : "")},
        {"threads", std::to_string(engine.threads())},
        {"ISA", engine.backend() == Backend::kAoi ? kernels::isa_name(engine.isa()) : std::string("reference path")},
        {"featurize", std::to_string(data.seconds) + " s (" + std::to_string(data.cache_hits) + " from the cache)"},
        {"cross-validation", std::to_string(cv_seconds) + " s"}};
    for (const auto& [k, v] : gbdt::describe(pipeline::params_for(options.params, int(data.manifest.classes.size()))))
      facts.emplace_back("gbdt " + k, v);

    if (!a->json.empty()) {
      auto j = evaluation_json(ev, options, data.manifest.classes);
      j["manifest"] = a->learn.manifest;
      j["mode"] = pipeline::mode_name(options.mode);
      j["features"] = feature_recipe_name(engine.recipe());
      j["items"] = data.items.size();
      j["skipped"] = data.failed;
      j["timings"] = {{"featurize_seconds", data.seconds},
                      {"cv_seconds", cv_seconds},
                      {"cache_hits", data.cache_hits},
                      {"total_seconds",
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - total_start).count()}};
      io::write_file_atomically(a->json, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      std::cerr << "aoi: wrote " << a->json << "\n";
    }
    if (!a->report.empty())
      write_evaluation_report(a->report, "aoi evaluation: " + std::filesystem::path(a->learn.manifest).filename().string(),
                              engine, data, view, ev, featurize_options(a->learn).policy.value_or(engine.description().preprocess.policy),
                              facts);
    return data.failed ? 1 : 0;
  };
}

}  // namespace aoi::cli
