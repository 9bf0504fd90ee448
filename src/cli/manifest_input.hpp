// What train, evaluate and score share: reading a manifest, the feature
// cache flags, and featurizing the manifest's regions through the cache.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "pipeline/featurize.hpp"
#include "pipeline/manifest.hpp"
#include "common.hpp"

namespace aoi::cli {

struct CacheFlags {
  std::string dir;   // --cache; default FeatureCache::default_dir()
  bool off = false;  // --no-cache
};
void add_cache_flags(CLI::App& cmd, CacheFlags& flags);
std::optional<pipeline::FeatureCache> open_cache(const CacheFlags& flags);

// --classes a,b,c or --multiclass into manifest options.
struct ClassFlags {
  std::string classes;
  bool discover = false;
};
void add_class_flags(CLI::App& cmd, ClassFlags& flags);
pipeline::ManifestOptions manifest_options(const ClassFlags& flags, bool need_labels, bool need_time);

// A manifest with the features of its good items.
struct ManifestFeatures {
  pipeline::Manifest manifest;
  std::vector<std::size_t> items;  // manifest item index of each feature row
  std::vector<float> features;     // items.size() x dim
  int dim = 0;
  std::size_t cache_hits = 0;
  std::size_t failed = 0;          // rows skipped (bad row or bad image); each reported on stderr
  double seconds = 0;              // wall time of featurizing
};

// Reads, reports bad rows on stderr, featurizes the rest with a progress bar.
ManifestFeatures featurize_manifest(const Engine& engine, const std::string& manifest_path,
                                    const pipeline::ManifestOptions& manifest_options,
                                    pipeline::FeaturizeOptions options, const std::optional<pipeline::FeatureCache>& cache);

// Items listed as image files or folders (searched recursively for .jpg,
// .jpeg, .png, .tif, .tiff, .bmp), in sorted order.
std::vector<std::string> expand_image_arguments(const std::vector<std::string>& arguments);

}  // namespace aoi::cli
