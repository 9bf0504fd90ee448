#include "inspector/score.hpp"

#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/require.hpp"
#include "inspector/inspector_access.hpp"
#include "io/csv.hpp"

namespace aoi::pipeline {

ScoreRun score_regions(const Inspector& inspector, const std::vector<ImageRegion>& items, const ScoreOptions& options,
                       const Progress& progress) {
  const Engine& engine = InspectorAccess::engine(inspector);
  FeaturizeOptions fo;
  fo.batch = options.batch;
  fo.policy = InspectorAccess::bundle(inspector).policy;
  fo.cache = options.cache;
  FeaturizeResult features = featurize_regions(engine, items, fo, progress);
  ScoreRun run;
  run.errors = std::move(features.errors);
  run.scored.reserve(features.rows.size());
  const std::size_t d = std::size_t(engine.feature_dim());
  for (std::size_t r = 0; r < features.rows.size(); ++r)
    run.scored.push_back({features.rows[r], InspectorAccess::decide(inspector, features.features.data() + r * d)});
  return run;
}

ResultsFormat results_format_of(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".csv") return ResultsFormat::kCsv;
  if (ext == ".jsonl") return ResultsFormat::kJsonl;
  throw Error(ErrorKind::kInvalidArgument, path.string() + ": results must be .csv or .jsonl");
}

std::string format_results(const Inspector& inspector, const std::vector<ImageRegion>& items,
                           const std::vector<std::string>& labels, const ScoreRun& run, ResultsFormat format) {
  const auto classes = inspector.classes();
  const bool multiclass = classes.size() > 2;
  const std::string& version = inspector.model_version();
  std::ostringstream out;
  if (format == ResultsFormat::kCsv)
    out << "path,x,y,w,h,label,p_fail,decision" << (multiclass ? ",class" : "") << ",model_version\n";
  for (const ScoredItem& s : run.scored) {
    const ImageRegion& item = items[s.item];
    const std::string& label = s.item < labels.size() ? labels[s.item] : std::string();
    const char* decision = verdict_name(s.inspection.verdict);
    const std::string cls = multiclass && s.inspection.class_index >= 0 ? classes[s.inspection.class_index] : "";
    char p_text[32];
    std::snprintf(p_text, sizeof p_text, "%.6f", s.inspection.p_fail);
    if (format == ResultsFormat::kJsonl) {
      nlohmann::json j{{"path", item.path}, {"p_fail", std::stod(p_text)}, {"decision", decision},
                       {"model_version", version}};
      if (item.roi) j["region"] = {item.roi->x, item.roi->y, item.roi->width, item.roi->height};
      if (!label.empty()) j["label"] = label;
      if (multiclass) j["class"] = cls;
      // Bytes that are not UTF-8 (file names) are replaced, so every line stays valid JSON.
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      out << io::csv_field(item.path) << ",";
      if (item.roi) out << item.roi->x << "," << item.roi->y << "," << item.roi->width << "," << item.roi->height << ",";
      else out << ",,,,";
      out << io::csv_field(label) << "," << p_text << "," << decision << "," << (multiclass ? io::csv_field(cls) + "," : "")
          << version << "\n";
    }
  }
  return out.str();
}

}  // namespace aoi::pipeline
