// The HTML report of a time-CV run, as `aoi evaluate --report` and
// `aoi train --report` write it: facts of the run, thumbnails and, when the
// evaluation kept its fold models, heatmaps of the items shown.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline/evaluate.hpp"
#include "manifest_input.hpp"

namespace aoi::cli {

void write_evaluation_report(const std::string& path, const std::string& title, const Engine& engine,
                             const ManifestFeatures& data, const pipeline::LabelledData& view,
                             const pipeline::Evaluation& ev, image::ResizePolicy policy,
                             std::vector<std::pair<std::string, std::string>> facts);

}  // namespace aoi::cli
