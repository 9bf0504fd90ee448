// aoi score: a manifest, images or folders to decisions (pass, review, fail)
// with the model bundle's thresholds. Bad images are reported and skipped.
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "aoi/core/error.hpp"
#include "aoi/gbdt/model.hpp"
#include "aoi/io/csv.hpp"
#include "aoi/pipeline/bundle.hpp"
#include "aoi/pipeline/evaluate.hpp"
#include "commands.hpp"
#include "manifest_input.hpp"

namespace aoi::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Command add_score(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    CacheFlags cache;
    std::string model, manifest, output, roi;
    std::vector<std::string> inputs;
    int batch = 8;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("score", "Score images with a model bundle: P(fail) and a pass/review/fail decision");
  cmd->add_option("inputs", a->inputs, "image files or folders (searched recursively)");
  cmd->add_option("--model", a->model, "model bundle from 'aoi train'")->required();
  cmd->add_option("--manifest", a->manifest, "manifest CSV (path[,x,y,w,h], other columns optional)");
  cmd->add_option("-o,--output", a->output, "results: .csv or .jsonl")->required();
  cmd->add_option("--roi", a->roi, "region x,y,w,h for the listed images (not the manifest's)");
  cmd->add_option("--batch", a->batch, "images per trunk call")->check(CLI::Range(1, 1024));
  add_cache_flags(*cmd, a->cache);
  add_engine_flags(*cmd, a->engine);
  return [a] {
    const bool jsonl = ends_with(a->output, ".jsonl");
    require(jsonl || ends_with(a->output, ".csv"), ErrorKind::kInvalidArgument, a->output, "results must be .csv or .jsonl");
    const auto bundle = pipeline::load_bundle(a->model);
    const Engine engine = open_engine(a->engine);
    require(engine.weights().payload_hash() == bundle.weights_hash, ErrorKind::kInvalidArgument, a->model,
            "trained on trunk weights " + pipeline::hash_hex(bundle.weights_hash) + " but the loaded weights are " +
                pipeline::hash_hex(engine.weights().payload_hash()) + "; score with the weights the model was trained on");
    bundle.model.check_feature_count(std::size_t(engine.feature_dim()), a->model);

    // Items: the manifest's rows, then the listed images.
    std::vector<pipeline::ImageRegion> items;
    std::vector<std::string> labels, origin;  // origin: "manifest:line" or the path, for messages
    std::size_t failed = 0;
    if (!a->manifest.empty()) {
      pipeline::ManifestOptions mo;
      mo.classes = bundle.multiclass() ? bundle.classes : std::vector<std::string>{};
      const auto m = pipeline::read_manifest(a->manifest, mo);
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

    pipeline::FeaturizeOptions fo;
    fo.batch = a->batch;
    fo.policy = bundle.policy;
    const auto cache = open_cache(a->cache);
    fo.cache = cache ? &*cache : nullptr;
    ProgressBar bar("score");
    const auto result = pipeline::featurize_regions(engine, items, fo, [&](auto d, auto t) { bar.update(d, t); });
    bar.finish();
    for (const auto& e : result.errors) std::cerr << "aoi: skipped " << origin[e.index] << ": " << e.message << "\n";
    failed += result.errors.size();

    const gbdt::Predictor predictor(bundle.model);
    const auto proba = predictor.predict_batch(result.features, result.rows.size(), engine.threads());
    const int outputs = predictor.outputs(), num_classes = int(bundle.classes.size());
    std::ofstream out(a->output);
    require(out.good(), ErrorKind::kIo, a->output, "cannot open for writing");
    if (!jsonl) out << "path,x,y,w,h,label,p_fail,decision" << (bundle.multiclass() ? ",class" : "") << ",model_version\n";
    std::map<std::string, std::size_t> counts;
    for (std::size_t r = 0; r < result.rows.size(); ++r) {
      const std::size_t i = result.rows[r];
      const std::span<const float> p(proba.data() + r * outputs, outputs);
      const float score = pipeline::fail_score_of(p, num_classes);
      const char* decision = pipeline::decision_name(bundle.thresholds.decide(score));
      ++counts[decision];
      const std::string cls =
          bundle.multiclass() ? bundle.classes[std::max_element(p.begin(), p.end()) - p.begin()] : std::string();
      const auto& roi_i = items[i].roi;
      char p_text[32];
      std::snprintf(p_text, sizeof p_text, "%.6f", score);
      if (jsonl) {
        nlohmann::json j{{"path", items[i].path}, {"p_fail", std::stod(p_text)}, {"decision", decision},
                         {"model_version", bundle.model_version}};
        if (roi_i) j["region"] = {roi_i->x, roi_i->y, roi_i->width, roi_i->height};
        if (!labels[i].empty()) j["label"] = labels[i];
        if (bundle.multiclass()) j["class"] = cls;
        out << j.dump() << "\n";
      } else {
        out << io::csv_field(items[i].path) << ",";
        if (roi_i) out << roi_i->x << "," << roi_i->y << "," << roi_i->width << "," << roi_i->height << ",";
        else out << ",,,,";
        out << io::csv_field(labels[i]) << "," << p_text << "," << decision << ","
            << (bundle.multiclass() ? io::csv_field(cls) + "," : "") << bundle.model_version << "\n";
      }
    }
    require(out.good(), ErrorKind::kIo, a->output, "write failed");
    std::fprintf(stderr, "aoi: scored %zu items with %s (pass %zu, review %zu, fail %zu); wrote %s", result.rows.size(),
                 bundle.model_version.c_str(), counts["pass"], counts["review"], counts["fail"], a->output.c_str());
    if (failed) std::fprintf(stderr, "; %zu items failed", failed);
    std::fprintf(stderr, "\n");
    return failed ? 1 : 0;
  };
}

}  // namespace aoi::cli
