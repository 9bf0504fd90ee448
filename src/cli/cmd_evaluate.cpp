// aoi evaluate: time-based cross-validation of trunk features + GBDT on a
// manifest, with a JSON summary for machines and an HTML report for people.
#include <chrono>
#include <fstream>
#include <iostream>

#include "core/require.hpp"
#include "kernels/cpu.hpp"
#include "io/atomic_file.hpp"
#include "pipeline/report.hpp"
#include "commands.hpp"
#include "common.hpp"
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
    const auto options = evaluate_options(a->learn);
    const auto cv_start = std::chrono::steady_clock::now();
    const auto ev = pipeline::evaluate_time_cv(rows.view(data, engine), options);
    const double cv_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cv_start).count();
    print_evaluation(ev, options);

    std::vector<std::pair<std::string, std::string>> facts{
        {"manifest", a->learn.manifest},
        {"items", std::to_string(data.items.size()) + " used, " + std::to_string(data.failed) + " skipped"},
        {"weights", engine.description().source},
        {"features", std::string(feature_recipe_name(engine.recipe())) + ", " + std::to_string(engine.feature_dim()) +
                         " per item"},
        {"threads", std::to_string(engine.threads())},
        {"ISA", engine.backend() == Backend::kAoi ? kernels::isa_name(engine.isa()) : std::string("reference path")},
        {"featurize", std::to_string(data.seconds) + " s (" + std::to_string(data.cache_hits) + " from the cache)"},
        {"cross-validation", std::to_string(cv_seconds) + " s"}};
    for (const auto& [k, v] : gbdt::describe(pipeline::params_for(options.params, int(data.manifest.classes.size()))))
      facts.emplace_back("gbdt " + k, v);

    if (!a->json.empty()) {
      auto j = evaluation_json(ev, options, data.manifest.classes);
      j["manifest"] = a->learn.manifest;
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
    if (!a->report.empty()) {
      pipeline::ReportInput in;
      in.title = "aoi evaluation: " + std::filesystem::path(a->learn.manifest).filename().string();
      in.facts = facts;
      in.evaluation = &ev;
      in.labels = rows.labels;
      in.classes = data.manifest.classes;
      for (auto i : data.items) in.items.push_back({data.manifest.items[i].path, data.manifest.items[i].roi});
      pipeline::write_report(a->report, in);
      std::cerr << "aoi: wrote the report " << std::filesystem::absolute(a->report).string() << "\n";
    }
    return data.failed ? 1 : 0;
  };
}

}  // namespace aoi::cli
