// Images (or regions of them) to trunk features as one library call: read,
// decode and preprocess in parallel, run the trunk in batches, reuse cached
// features, and keep going past bad files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nn/engine.hpp"
#include "pipeline/feature_cache.hpp"

namespace aoi::pipeline {

struct FeaturizeOptions {
  std::optional<image::ResizePolicy> policy;  // default: the weight file's
  std::optional<image::Roi> roi;              // featurize_files: applied to every image
  int batch = 8;                              // images per trunk call
  io::ImageLimits limits;
  const FeatureCache* cache = nullptr;        // optional; read and filled
};

struct ImageRegion {
  std::string path;
  std::optional<image::Roi> roi;  // the whole image when absent
};

struct ItemError {
  std::size_t index;    // position in the input list
  std::string message;  // names the file and the problem
};

struct FeaturizeResult {
  std::vector<std::size_t> rows;  // input index of each feature row, in input order
  std::vector<float> features;    // rows.size() x feature_dim
  std::vector<ItemError> errors;  // the items that were skipped
  std::size_t cache_hits = 0;     // rows that came from the cache
  std::size_t cache_write_failures = 0;
};

// Called after each batch with (items done, items total).
using Progress = std::function<void(std::size_t done, std::size_t total)>;

FeaturizeResult featurize_regions(const Engine& engine, const std::vector<ImageRegion>& items,
                                  const FeaturizeOptions& options, const Progress& progress = {});

// The same for whole files, with options.roi applied to each.
FeaturizeResult featurize_files(const Engine& engine, const std::vector<std::string>& paths,
                                const FeaturizeOptions& options, const Progress& progress = {});

}  // namespace aoi::pipeline
