// aoi featurize: images to an N x D float32 .npy of trunk features.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "core/require.hpp"
#include "io/atomic_file.hpp"
#include "io/npy.hpp"
#include "pipeline/featurize.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "manifest_input.hpp"

namespace aoi::cli {
namespace {

// "mean m, sd s, min a, max b, zero z%": a quick check that features look sane.
std::string describe_values(const std::vector<float>& v) {
  double sum = 0, sq = 0;
  float lo = v[0], hi = v[0];
  std::size_t zeros = 0;
  for (float x : v) sum += x, sq += double(x) * x, lo = std::min(lo, x), hi = std::max(hi, x), zeros += x == 0;
  const double mean = sum / v.size();
  char buf[160];
  std::snprintf(buf, sizeof buf, "mean %.4f, sd %.4f, min %.4f, max %.4f, zero %.1f%%", mean,
                std::sqrt(std::max(0.0, sq / v.size() - mean * mean)), lo, hi, 100.0 * zeros / v.size());
  return buf;
}

int featurize_tensors(const EngineFlags& flags, const std::string& input, const std::string& output) {
  const Engine engine = open_engine(flags);
  const auto array = io::read_npy(input);
  const std::int64_t s = engine.input_size();
  if (array.shape.size() != 4 || array.shape[1] != 3 || array.shape[2] != s || array.shape[3] != s)
    throw aoi::Error(aoi::ErrorKind::kBadData, input + ": expected shape N x 3 x " + std::to_string(s) + " x " + std::to_string(s));
  const int n = int(array.shape[0]);
  std::vector<float> features(std::size_t(n) * engine.feature_dim());
  engine.featurize(array.values, n, features);
  io::write_npy(output, {n, engine.feature_dim()}, features.data());
  std::cerr << "aoi: wrote " << n << " x " << engine.feature_dim() << " features to " << output << "\n";
  return 0;
}

}  // namespace

Command add_featurize(CLI::App& app) {
  struct Args {
    EngineFlags engine;
    CacheFlags cache;
    std::vector<std::string> images;
    std::string manifest, output, rows, policy, roi, tensors;
    int batch = 8;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("featurize", "Compute trunk features of images into an N x D float32 .npy");
  cmd->add_option("images", args->images, "image files (JPEG, PNG, TIFF, BMP) or folders (searched recursively)");
  cmd->add_option("--manifest", args->manifest, "manifest CSV: its path column and, where given, regions x,y,w,h");
  cmd->add_option("-o,--output", args->output, "the .npy file to write")->required()->check(output_extensions({".npy"}));
  cmd->add_option("--rows", args->rows, "also write the path of each output row, one per line");
  cmd->add_option("--policy", args->policy, "resize policy: stretch or imagenet (default: the weight file's)")
      ->check(CLI::IsMember({"stretch", "imagenet"}));
  cmd->add_option("--roi", args->roi, "region x,y,w,h cropped before resizing from every image without a region of its own");
  cmd->add_option("--batch", args->batch, "images per trunk call")->check(CLI::Range(1, 1024));
  cmd->add_option("--tensors", args->tensors,
                  "instead of images: an N x 3 x S x S float32 .npy of already preprocessed input tensors");
  add_engine_flags(*cmd, args->engine);
  add_features_flag(*cmd, args->engine);
  add_cache_flags(*cmd, args->cache);
  return [args] {
    if (!args->tensors.empty()) return featurize_tensors(args->engine, args->tensors, args->output);
    // Items: the manifest's rows (with their regions), then the listed images.
    std::vector<pipeline::ImageRegion> items;
    std::size_t skipped_rows = 0;
    std::optional<image::Roi> roi;
    if (!args->roi.empty()) roi = parse_roi(args->roi);
    if (!args->manifest.empty()) {
      const auto m = pipeline::read_manifest(args->manifest);
      for (const auto& why : m.warnings) std::cerr << "aoi: warning: " << why << "\n";
      for (const auto& why : m.skipped) std::cerr << "aoi: skipped " << why << "\n";
      skipped_rows = m.skipped.size();
      for (const auto& item : m.items) items.push_back({item.path, item.roi ? item.roi : roi});
    }
    for (const auto& path : expand_image_arguments(args->images)) items.push_back({path, roi});
    if (items.empty()) throw aoi::Error(aoi::ErrorKind::kInvalidArgument, "featurize: no images given");
    pipeline::FeaturizeOptions options;
    options.batch = args->batch;
    if (!args->policy.empty()) options.policy = image::parse_policy(args->policy);
    const auto cache = open_cache(args->cache);
    options.cache = cache ? &*cache : nullptr;
    const Engine engine = open_engine(args->engine);
    ProgressBar bar("featurize");
    const auto result = pipeline::featurize_regions(engine, items, options,
                                                    [&](std::size_t done, std::size_t total) { bar.update(done, total); });
    bar.finish();
    for (const auto& e : result.errors) std::cerr << "aoi: skipped " << e.message << "\n";
    io::write_npy(args->output, {std::int64_t(result.rows.size()), engine.feature_dim()}, result.features.data());
    if (!args->rows.empty()) {
      std::string rows;
      for (auto i : result.rows) rows += items[i].path + "\n";
      io::write_file_atomically(args->rows, rows);
    }
    std::cerr << "aoi: wrote " << result.rows.size() << " x " << engine.feature_dim() << " features to " << args->output;
    if (!result.features.empty()) std::cerr << " (" << describe_values(result.features) << ")";
    if (result.cache_hits) std::cerr << "; " << result.cache_hits << " from the cache";
    const std::size_t failed = result.errors.size() + skipped_rows;
    if (failed) std::cerr << "; " << failed << " of " << items.size() + skipped_rows << " images failed";
    std::cerr << "\n";
    return failed ? 1 : 0;
  };
}

}  // namespace aoi::cli
