#include "manifest_input.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>

#include "core/require.hpp"

namespace aoi::cli {

void add_cache_flags(CLI::App& cmd, CacheFlags& flags) {
  cmd.add_option("--cache", flags.dir,
                 "feature cache folder (default: " + pipeline::FeatureCache::default_dir().string() + ", or $AOI_CACHE_DIR)");
  cmd.add_flag("--no-cache", flags.off, "neither read nor write cached features");
}

std::optional<pipeline::FeatureCache> open_cache(const CacheFlags& flags) {
  if (flags.off) return std::nullopt;
  return pipeline::FeatureCache(flags.dir.empty() ? pipeline::FeatureCache::default_dir() : std::filesystem::path(flags.dir));
}

void add_class_flags(CLI::App& cmd, ClassFlags& flags) {
  cmd.add_option("--classes", flags.classes,
                 "multi-class: the class names, comma separated, 'pass' first (default: binary pass/fail)");
  cmd.add_flag("--multiclass", flags.discover, "multi-class with the classes found in the label column");
}

pipeline::ManifestOptions manifest_options(const ClassFlags& flags, bool need_labels, bool need_time) {
  pipeline::ManifestOptions options;
  options.need_labels = need_labels;
  options.need_time = need_time;
  options.discover_classes = flags.discover;
  std::stringstream ss(flags.classes);
  for (std::string c; std::getline(ss, c, ',');)
    if (!c.empty()) options.classes.push_back(c);
  require(options.classes.empty() || options.classes.size() >= 2, ErrorKind::kInvalidArgument, "--classes",
          "name at least two classes");
  return options;
}

ManifestFeatures featurize_manifest(const Engine& engine, const std::string& manifest_path,
                                    const pipeline::ManifestOptions& manifest_options,
                                    pipeline::FeaturizeOptions options, const std::optional<pipeline::FeatureCache>& cache) {
  ManifestFeatures out;
  out.manifest = pipeline::read_manifest(manifest_path, manifest_options);
  for (const auto& why : out.manifest.warnings) std::cerr << "aoi: warning: " << why << "\n";
  for (const auto& why : out.manifest.skipped) std::cerr << "aoi: skipped " << why << "\n";
  out.failed = out.manifest.skipped.size();
  const auto& items = out.manifest.items;
  std::vector<pipeline::ImageRegion> regions;
  regions.reserve(items.size());
  for (const auto& item : items) regions.push_back({item.path, item.roi});
  options.cache = cache ? &*cache : nullptr;
  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar("featurize");
  auto result = pipeline::featurize_regions(engine, regions, options,
                                            [&](std::size_t done, std::size_t total) { bar.update(done, total); });
  bar.finish();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& e : result.errors)
    std::cerr << "aoi: skipped " << manifest_path << ":" << items[e.index].line << ": " << e.message << "\n";
  if (result.cache_write_failures)
    std::cerr << "aoi: warning: " << result.cache_write_failures << " features could not be written to the cache "
              << (cache ? cache->dir().string() : "") << "\n";
  out.failed += result.errors.size();
  out.items = std::move(result.rows);
  out.features = std::move(result.features);
  out.dim = engine.feature_dim();
  out.cache_hits = result.cache_hits;
  std::fprintf(stderr, "aoi: %zu items featurized in %.1f s (%zu from the cache, %zu computed)\n", out.items.size(),
               out.seconds, out.cache_hits, out.items.size() - out.cache_hits);
  return out;
}

std::vector<std::string> expand_image_arguments(const std::vector<std::string>& arguments) {
  static const std::vector<std::string> kExtensions{".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"};
  std::vector<std::string> out;
  for (const auto& arg : arguments) {
    if (!std::filesystem::is_directory(arg)) {
      out.push_back(arg);  // a missing file is reported when it is read
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
      if (!entry.is_regular_file()) continue;
      auto ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
      if (std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end())
        found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace aoi::cli
