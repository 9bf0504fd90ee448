// aoi score: a manifest, images or folders to decisions (pass, review, fail)
// with a model bundle. The scoring itself is the library's (aoi::Inspector,
// pipeline/score.hpp); this file reads flags and lists, and reports.
#include <cstdio>
#include <iostream>
#include <map>

#include "aoi/inspector.hpp"
#include "core/require.hpp"
#include "inspector/inspector_access.hpp"
#include "io/atomic_file.hpp"
#include "inspector/score.hpp"
#include "commands.hpp"
#include "manifest_input.hpp"

namespace aoi::cli {

Command add_score(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    CacheFlags cache;
    std::string model, manifest, output, roi, heatmaps;
    std::vector<std::string> inputs;
    int batch = 8;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("score", "Score images with a model bundle: P(fail) and a pass/review/fail decision");
  cmd->add_option("inputs", a->inputs, "image files or folders (searched recursively)");
  cmd->add_option("--model", a->model, "model bundle from 'aoi train'")->required();
  cmd->add_option("--manifest", a->manifest, "manifest CSV (path[,x,y,w,h], other columns optional)");
  cmd->add_option("-o,--output", a->output, "results: .csv or .jsonl")
      ->required()
      ->check(output_extensions({".csv", ".jsonl"}));
  cmd->add_option("--roi", a->roi, "region x,y,w,h for the listed images (not the manifest's)");
  cmd->add_option("--batch", a->batch, "images per trunk call")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--heatmaps", a->heatmaps,
                  "write a PNG per scored image into this folder: where the model sees the defect, drawn over the "
                  "image as the trunk saw it (ROW-NAME.png, ROW its input position)");
  add_cache_flags(*cmd, a->cache);
  add_engine_flags(*cmd, a->engine);
  return [a] {
    const auto format = pipeline::results_format_of(a->output);
    EngineOptions eo = engine_options(a->engine);
    const Inspector inspector = InspectorAccess::open(a->model, a->engine.weights, eo);

    // Items: the manifest's rows, then the listed images.
    std::vector<pipeline::ImageRegion> items;
    std::vector<std::string> labels, origin;  // origin: "manifest:line" or the path, for messages
    std::size_t failed = 0;
    if (!a->manifest.empty()) {
      pipeline::ManifestOptions mo;
      const auto classes = inspector.classes();
      if (classes.size() > 2) mo.classes.assign(classes.begin(), classes.end());
      const auto m = pipeline::read_manifest(a->manifest, mo);
      for (const auto& why : m.warnings) std::cerr << "aoi: warning: " << why << "\n";
      for (const auto& why : m.skipped) std::cerr << "aoi: skipped " << why << "\n";
      failed += m.skipped.size();
      for (const auto& item : m.items) {
        items.push_back({item.path, item.roi});
        labels.push_back(item.label_text);
        origin.push_back(a->manifest + ":" + std::to_string(item.line));
      }
    }
    std::optional<image::Roi> roi;
    if (!a->roi.empty()) roi = parse_roi(a->roi);
    for (const auto& path : expand_image_arguments(a->inputs)) {
      items.push_back({path, roi});
      labels.emplace_back();
      origin.push_back(path);
    }
    require(!items.empty(), ErrorKind::kInvalidArgument, "score", "nothing to score (give --manifest or images)");

    pipeline::ScoreOptions so;
    so.batch = a->batch;
    const auto cache = open_cache(a->cache);
    so.cache = cache ? &*cache : nullptr;
    ProgressBar bar("score");
    const auto run = pipeline::score_regions(inspector, items, so, [&](auto d, auto t) { bar.update(d, t); });
    bar.finish();
    for (const auto& e : run.errors) std::cerr << "aoi: skipped " << origin[e.index] << ": " << e.message << "\n";
    failed += run.errors.size();

    std::size_t heatmaps = 0;
    if (!a->heatmaps.empty()) {
      std::filesystem::create_directories(a->heatmaps);
      ProgressBar heat_bar("heatmaps");
      for (const auto& s : run.scored) {
        const auto& item = items[s.item];
        char row[16];
        std::snprintf(row, sizeof row, "%05zu-", s.item);
        const auto png = std::filesystem::path(a->heatmaps) /
                         (row + std::filesystem::path(item.path).stem().string() + ".png");
        try {
          pipeline::write_heatmap_png(inspector, item, png);
          ++heatmaps;
        } catch (const std::exception& e) {
          std::cerr << "aoi: no heatmap for " << origin[s.item] << ": " << e.what() << "\n";
          ++failed;
        }
        heat_bar.update(heatmaps, run.scored.size());
      }
      heat_bar.finish();
      std::cerr << "aoi: wrote " << heatmaps << " heatmaps to " << a->heatmaps << "\n";
    }
    io::write_file_atomically(a->output, pipeline::format_results(inspector, items, labels, run, format));
    std::map<Verdict, std::size_t> counts;
    for (const auto& s : run.scored) ++counts[s.inspection.verdict];
    std::fprintf(stderr, "aoi: scored %zu items with %s (pass %zu, review %zu, fail %zu); wrote %s", run.scored.size(),
                 inspector.model_version().c_str(), counts[Verdict::kPass], counts[Verdict::kReview],
                 counts[Verdict::kFail], a->output.c_str());
    if (failed) std::fprintf(stderr, "; %zu items failed", failed);
    std::fprintf(stderr, "\n");
    return failed ? 1 : 0;
  };
}

}  // namespace aoi::cli
