#include "inspector/score.hpp"

#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/require.hpp"
#include "inspector/inspector_access.hpp"
#include "io/atomic_file.hpp"
#include "io/csv.hpp"
#include "pipeline/heatmap.hpp"

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
  std::vector<Inspection> decided(features.rows.size());
  InspectorAccess::decide_rows(inspector, features.features.data(), decided.size(), decided.data());
  run.scored.reserve(features.rows.size());
  for (std::size_t r = 0; r < features.rows.size(); ++r) run.scored.push_back({features.rows[r], decided[r]});
  return run;
}

void write_heatmap_png(const Inspector& inspector, const ImageRegion& item, const std::filesystem::path& png) {
  const io::Image image = io::read_image(item.path);
  std::optional<Region> region;
  if (item.roi) region = Region{item.roi->x, item.roi->y, item.roi->width, item.roi->height};
  Heatmap map;
  inspector.explain(PixelView{image.rgb.data(), image.width, image.height, std::ptrdiff_t(image.width) * 3, 3}, region,
                    map);
  image::Preprocess pre = InspectorAccess::engine(inspector).preprocess();
  pre.policy = InspectorAccess::bundle(inspector).policy;
  const io::Image fitted = image::fit_to_input(image, pre, item.roi, item.path);
  const auto& bundle = InspectorAccess::bundle(inspector);
  const auto range = overlay_range(map, bundle.mode == Mode::kAnomaly ? &bundle.thresholds : nullptr);
  const auto bytes = io::encode_png(heatmap_overlay(fitted, map, range.low, range.high));
  io::write_file_atomically(png, std::string(bytes.begin(), bytes.end()));
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
