// Scoring many images with an Inspector, as `aoi score` does: the trunk in
// batches with the feature cache, bad items skipped and reported, and the
// results written as CSV or JSON Lines.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "aoi/inspector.hpp"
#include "pipeline/featurize.hpp"

namespace aoi::pipeline {

struct ScoreOptions {
  int batch = 8;                        // images per trunk call
  const FeatureCache* cache = nullptr;  // optional; read and filled
};

struct ScoredItem {
  std::size_t item;  // index into the input list
  Inspection inspection;
};

struct ScoreRun {
  std::vector<ScoredItem> scored;  // in input order
  std::vector<ItemError> errors;   // skipped items
};

ScoreRun score_regions(const Inspector& inspector, const std::vector<ImageRegion>& items, const ScoreOptions& options,
                       const Progress& progress = {});

// The heatmap of one item (Inspector::explain) drawn over what the trunk saw
// (pipeline/heatmap.hpp), written atomically as a PNG. Throws aoi::Error
// naming the image on a bad one.
void write_heatmap_png(const Inspector& inspector, const ImageRegion& item, const std::filesystem::path& png);

enum class ResultsFormat { kCsv, kJsonl };
// By the path's extension (.csv, .jsonl); throws kInvalidArgument otherwise.
ResultsFormat results_format_of(const std::filesystem::path& path);

// One line per scored item: path, region, label (when known), p_fail, the
// verdict, the class (multiclass bundles) and the model version.
std::string format_results(const Inspector& inspector, const std::vector<ImageRegion>& items,
                           const std::vector<std::string>& labels, const ScoreRun& run, ResultsFormat format);

}  // namespace aoi::pipeline
