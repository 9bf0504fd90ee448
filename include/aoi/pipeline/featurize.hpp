// Image files to trunk features as one library call: decode and preprocess in
// parallel, run the trunk in batches, and keep going past bad files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aoi/nn/engine.hpp"

namespace aoi::pipeline {

struct FeaturizeOptions {
  std::optional<image::ResizePolicy> policy;  // default: the weight file's
  std::optional<image::Roi> roi;              // applied to every image
  int batch = 8;                              // images per trunk call
  io::ImageLimits limits;
};

struct ItemError {
  std::size_t index;    // position in the input list
  std::string message;  // names the file and the problem
};

struct FeaturizeResult {
  std::vector<std::size_t> rows;  // input index of each feature row, in input order
  std::vector<float> features;    // rows.size() x feature_dim
  std::vector<ItemError> errors;  // the items that were skipped
};

// Called after each batch with (items done, items total).
using Progress = std::function<void(std::size_t done, std::size_t total)>;

FeaturizeResult featurize_files(const Engine& engine, const std::vector<std::string>& paths,
                                const FeaturizeOptions& options, const Progress& progress = {});

}  // namespace aoi::pipeline
