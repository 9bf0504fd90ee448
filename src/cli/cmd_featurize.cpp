// aoi featurize: images to an N x D float32 .npy of trunk features.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "aoi/core/error.hpp"
#include "aoi/io/npy.hpp"
#include "aoi/pipeline/featurize.hpp"
#include "commands.hpp"
#include "common.hpp"

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
    std::vector<std::string> images;
    std::string manifest, output, rows, policy, roi, tensors;
    int batch = 8;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("featurize", "Compute trunk features of images into an N x D float32 .npy");
  cmd->add_option("images", args->images, "image files (JPEG, PNG, TIFF, BMP)");
  cmd->add_option("--manifest", args->manifest, "CSV whose 'path' column (or first column) lists images");
  cmd->add_option("-o,--output", args->output, "the .npy file to write")->required();
  cmd->add_option("--rows", args->rows, "also write the path of each output row, one per line");
  cmd->add_option("--policy", args->policy, "resize policy: stretch or imagenet (default: the weight file's)")
      ->check(CLI::IsMember({"stretch", "imagenet"}));
  cmd->add_option("--roi", args->roi, "region x,y,w,h cropped from every image before resizing");
  cmd->add_option("--batch", args->batch, "images per trunk call")->check(CLI::Range(1, 1024));
  cmd->add_option("--tensors", args->tensors,
                  "instead of images: an N x 3 x S x S float32 .npy of already preprocessed input tensors");
  add_engine_flags(*cmd, args->engine);
  return [args] {
    if (!args->tensors.empty()) return featurize_tensors(args->engine, args->tensors, args->output);
    const auto paths = collect_images(args->images, args->manifest);
    if (paths.empty()) throw aoi::Error(aoi::ErrorKind::kInvalidArgument, "featurize: no images given");
    pipeline::FeaturizeOptions options;
    options.batch = args->batch;
    if (!args->policy.empty()) options.policy = image::parse_policy(args->policy);
    if (!args->roi.empty()) options.roi = parse_roi(args->roi);
    const Engine engine = open_engine(args->engine);
    ProgressBar bar("featurize");
    const auto result = pipeline::featurize_files(engine, paths, options,
                                                  [&](std::size_t done, std::size_t total) { bar.update(done, total); });
    bar.finish();
    for (const auto& e : result.errors) std::cerr << "aoi: skipped " << e.message << "\n";
    io::write_npy(args->output, {std::int64_t(result.rows.size()), engine.feature_dim()}, result.features.data());
    if (!args->rows.empty()) {
      std::ofstream rows(args->rows);
      for (auto i : result.rows) rows << paths[i] << "\n";
    }
    std::cerr << "aoi: wrote " << result.rows.size() << " x " << engine.feature_dim() << " features to " << args->output;
    if (!result.features.empty()) std::cerr << " (" << describe_values(result.features) << ")";
    if (!result.errors.empty()) std::cerr << "; " << result.errors.size() << " of " << paths.size() << " images failed";
    std::cerr << "\n";
    return result.errors.empty() ? 0 : 1;
  };
}

}  // namespace aoi::cli
