#include "evaluation_report.hpp"

#include <iostream>

#include "pipeline/heatmap.hpp"
#include "pipeline/report.hpp"

namespace aoi::cli {

void write_evaluation_report(const std::string& path, const std::string& title, const Engine& engine,
                             const ManifestFeatures& data, const pipeline::LabelledData& view,
                             const pipeline::Evaluation& ev, image::ResizePolicy policy,
                             std::vector<std::pair<std::string, std::string>> facts) {
  pipeline::ReportInput in;
  in.title = title;
  in.facts = std::move(facts);
  in.evaluation = &ev;
  in.labels.assign(view.labels.begin(), view.labels.end());
  in.classes = data.manifest.classes;
  for (auto i : data.items) in.items.push_back({data.manifest.items[i].path, data.manifest.items[i].roi});
  if (!ev.fold_models.empty())
    in.heatmap = [&](std::size_t i) {
      return pipeline::fold_heatmap_overlay(engine, ev, view, i, in.items[i].path, in.items[i].roi, policy, in.limits);
    };
  pipeline::write_report(path, in);
  std::cerr << "aoi: wrote the report " << std::filesystem::absolute(path).string() << "\n";
}

}  // namespace aoi::cli
