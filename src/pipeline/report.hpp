// The evaluation report: one self-contained HTML file (no external assets)
// with ROC and PR curves per fold, the operating points, the confusion matrix
// and a gallery of the worst errors as embedded thumbnails.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/image.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/featurize.hpp"

namespace aoi::pipeline {

struct ReportInput {
  std::string title = "aoi evaluation";
  std::vector<std::pair<std::string, std::string>> facts;  // shown as a table: data, weights, parameters, timings
  const Evaluation* evaluation = nullptr;
  std::vector<int> labels;                 // per item, class index (0 = pass)
  std::vector<std::string> classes;
  std::vector<ImageRegion> items;          // per item, for thumbnails
  int gallery = 12;                        // worst misses and worst false alarms shown
  int thumbnail = 128;                     // thumbnail side in pixels
  io::ImageLimits limits;
};

void write_report(const std::filesystem::path& path, const ReportInput& input);

// Standard base64 (RFC 4648) of bytes, for data: URIs.
std::string base64(const std::vector<std::uint8_t>& bytes);

}  // namespace aoi::pipeline
