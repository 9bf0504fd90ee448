#include "pipeline/heatmap.hpp"

#include <algorithm>
#include <cmath>

#include "core/require.hpp"
#include "image/preprocess.hpp"
#include "pipeline/learner.hpp"

namespace aoi::pipeline {

Heatmap distance_heatmap(std::span<const float> distances, int side, float scale) {
  require(side > 0 && distances.size() == std::size_t(side) * side && scale > 0, ErrorKind::kInvalidArgument,
          "heatmap", "distances must fill a side x side grid");
  Heatmap map;
  map.kind = Heatmap::Kind::kPatchDistance;
  map.width = map.height = side;
  map.values.resize(distances.size());
  for (std::size_t i = 0; i < distances.size(); ++i) map.values[i] = distances[i] / (distances[i] + scale);
  return map;
}

Heatmap bank_heatmap(std::span<const float> distances, std::span<const anomaly::MemoryBank> banks) {
  require(!banks.empty(), ErrorKind::kInvalidArgument, "heatmap", "no memory bank");
  double scale = 0;
  for (const auto& bank : banks) scale += bank.scale();
  const int side = int(std::lround(std::sqrt(double(distances.size()))));
  return distance_heatmap(distances, side, float(scale / double(banks.size())));
}

nn::StageTap StageActivations::tap() {
  return nn::StageTap([this](int stage, const float* data, int channels, int height, int width) {
    Layer* layer = stage == 2 ? &res3 : stage == 3 ? &res4 : stage == 4 ? &res5 : nullptr;
    if (!layer) return;
    require(height == width, ErrorKind::kUnsupported, "heatmap", "stage grids must be square");
    layer->data.assign(data, data + std::size_t(channels) * height * width);
    layer->channels = channels;
    layer->side = height;
  }, (1u << 2) | (1u << 3) | (1u << 4));  // res3, res4, res5
}

namespace {

// The cells [lo, hi) of a side-s layer under cell i of a g-cell grid.
std::pair<int, int> cover(int i, int g, int s) {
  const int lo = i * s / g;
  return {lo, std::max(lo + 1, (i + 1) * s / g)};
}

// Per channel: the sum of v^p over the layer (p = 1: mean pooling; p = 3:
// generalised mean), and the same left out of one grid cell.
struct Pooled {
  const StageActivations::Layer* layer = nullptr;
  int p = 1;
  std::vector<double> total;
  void init(const StageActivations::Layer& l, int power) {
    layer = &l;
    p = power;
    const int n = l.side * l.side;
    total.assign(std::size_t(l.channels), 0.0);
    for (int c = 0; c < l.channels; ++c)
      for (int i = 0; i < n; ++i) total[c] += term(l.data[std::size_t(c) * n + i]);
  }
  double term(float v) const {
    const double x = v > 0 ? v : 0;
    return p == 1 ? double(v) : x * x * x;
  }
  // Pooled values without cell (y, x) of a g x g grid into out; y < 0
  // leaves nothing out.
  void without(int y, int x, int g, float* out) const {
    const int s = layer->side, n = s * s;
    auto [y0, y1] = cover(std::max(y, 0), g, s);
    auto [x0, x1] = cover(std::max(x, 0), g, s);
    if (y < 0) y1 = y0, x1 = x0;
    const int left = n - (y1 - y0) * (x1 - x0);
    for (int c = 0; c < layer->channels; ++c) {
      double sum = total[c];
      if (left > 0)
        for (int yy = y0; yy < y1; ++yy)
          for (int xx = x0; xx < x1; ++xx) sum -= term(layer->data[std::size_t(c) * n + yy * s + xx]);
      const double mean = left > 0 ? std::max(0.0, sum) / left : 0.0;
      out[c] = float(p == 1 ? mean : std::cbrt(mean));
    }
  }
};

}  // namespace

Heatmap pooling_heatmap(const StageActivations& a, FeatureRecipe recipe, std::span<const float> features,
                        const std::function<float(const float* features)>& fail_score) {
  require(a.res5.side > 0 && a.res5.channels > 0, ErrorKind::kInvalidArgument, "heatmap", "res5 was not captured");
  // kMultiScale: the base size's block, first in the row; the large one stays.
  const bool stages = recipe_pools_stages(recipe);
  require(!stages || (a.res3.side > 0 && a.res4.side > 0), ErrorKind::kInvalidArgument, "heatmap",
          "res3 and res4 were not captured");
  const std::size_t recipe_dim =
      std::size_t(a.res5.channels) + (stages ? std::size_t(a.res3.channels) + a.res4.channels : 0);
  require(features.size() >= recipe_dim, ErrorKind::kInvalidArgument, "heatmap", "features shorter than the recipe's");
  // The grid: res4's (res5's for the global recipe, which sees nothing finer).
  const int g = stages ? a.res4.side : a.res5.side;
  Pooled res5, res3, res4;
  res5.init(a.res5, 1);
  if (stages) res3.init(a.res3, 3), res4.init(a.res4, 3);
  std::vector<float> row(features.begin(), features.end());
  auto pooled_without = [&](int y, int x, int grid) {
    res5.without(y, x, grid, row.data());
    if (stages) {
      res3.without(y, x, grid, row.data() + a.res5.channels);
      res4.without(y, x, grid, row.data() + a.res5.channels + a.res3.channels);
    }
    return fail_score(row.data());
  };
  // The base from the same sums with nothing left out, so base and cells
  // differ in nothing but the cell.
  const float base = pooled_without(-1, -1, g);
  Heatmap map;
  map.kind = Heatmap::Kind::kOcclusion;
  map.width = map.height = g;
  map.values.resize(std::size_t(g) * g);
  for (int y = 0; y < g; ++y)
    for (int x = 0; x < g; ++x) map.values[std::size_t(y) * g + x] = std::clamp(base - pooled_without(y, x, g), 0.0f, 1.0f);
  return map;
}

io::Image heatmap_overlay(const io::Image& fitted, const Heatmap& map, float low, float high) {
  require(map.width > 0 && map.height > 0 && map.values.size() == std::size_t(map.width) * map.height,
          ErrorKind::kInvalidArgument, "heatmap", "empty map");
  io::Image out = fitted;
  const float span = std::max(high - low, 1e-6f);
  for (int y = 0; y < out.height; ++y) {
    // Bilinear over the cell centres, so the map reads smoothly at any size.
    const float gy = std::clamp((y + 0.5f) * map.height / out.height - 0.5f, 0.0f, float(map.height - 1));
    const int y0 = int(gy), y1 = std::min(y0 + 1, map.height - 1);
    const float wy = gy - y0;
    for (int x = 0; x < out.width; ++x) {
      const float gx = std::clamp((x + 0.5f) * map.width / out.width - 0.5f, 0.0f, float(map.width - 1));
      const int x0 = int(gx), x1 = std::min(x0 + 1, map.width - 1);
      const float wx = gx - x0;
      auto at = [&](int yy, int xx) { return map.values[std::size_t(yy) * map.width + xx]; };
      const float v = (at(y0, x0) * (1 - wx) + at(y0, x1) * wx) * (1 - wy) + (at(y1, x0) * (1 - wx) + at(y1, x1) * wx) * wy;
      const float t = std::clamp((v - low) / span, 0.0f, 1.0f);
      if (t <= 0) continue;
      // Yellow (just above low) to red (high), more opaque as it heats.
      const float colour[3] = {255.0f, 255.0f * (1 - t), 0.0f}, alpha = 0.25f + 0.5f * t;
      std::uint8_t* px = out.rgb.data() + (std::size_t(y) * out.width + x) * 3;
      for (int c = 0; c < 3; ++c) px[c] = std::uint8_t(std::lround(px[c] * (1 - alpha) + colour[c] * alpha));
    }
  }
  return out;
}

OverlayRange overlay_range(const Heatmap& map, const Thresholds* thresholds) {
  require(!map.values.empty(), ErrorKind::kInvalidArgument, "heatmap", "empty map");
  std::vector<float> sorted = map.values;
  std::sort(sorted.begin(), sorted.end());
  const float top = sorted.back(), median = sorted[sorted.size() / 2];
  if (map.kind == Heatmap::Kind::kPatchDistance && thresholds) {
    const float low = float(thresholds->pass_below);
    return {low, std::max(float(thresholds->fail_from), low + 0.02f)};
  }
  if (map.kind == Heatmap::Kind::kPatchDistance) return {median, std::max(top, median + 0.05f)};
  const float high = std::max(top, 0.01f);
  return {0.2f * high, high};
}

io::Image fold_heatmap_overlay(const Engine& engine, const Evaluation& ev, const LabelledData& data,
                               std::size_t index, const std::string& path, const std::optional<image::Roi>& roi,
                               image::ResizePolicy policy, const io::ImageLimits& limits) {
  const int fold = ev.fold_of(index);
  require(fold >= 0 && std::size_t(fold) < ev.fold_models.size(), ErrorKind::kInvalidArgument, path,
          "no fold model tested this item");
  const Learned& learned = *ev.fold_models[std::size_t(fold)];
  const RowScorer scorer(learned.mode, learned.model, learned.banks, data.cols, data.patch_count, data.patch_dim);
  RowScorer::Scratch scratch;
  std::vector<float> proba(std::size_t(scorer.outputs()));
  auto fail_score = [&](const float* row) {
    scorer.score(row, proba.data(), scratch);
    return fail_score_of(proba, data.num_classes);
  };
  const io::Image image = io::read_image(path, limits);
  image::Preprocess pre = engine.preprocess();
  pre.policy = policy;
  const io::Image fitted = image::fit_to_input(image, pre, roi, path);
  Heatmap map;
  if (scorer.has_banks()) {
    std::vector<float> distances(std::size_t(data.patch_count));
    scorer.score(data.row(index), proba.data(), scratch, -1, distances.data());
    map = bank_heatmap(distances, learned.banks);
  } else {
    const int s = engine.input_size();
    std::vector<float> tensor(std::size_t(3) * s * s), features(std::size_t(engine.feature_dim()));
    image::to_tensor(fitted, pre, tensor.data());
    StageActivations activations;
    engine.featurize(tensor, 1, features, activations.tap());
    map = pooling_heatmap(activations, engine.recipe(), features, fail_score);
  }
  const Thresholds thresholds{ev.pass_point.threshold, std::max(ev.fail_point.threshold, ev.pass_point.threshold)};
  const auto range = overlay_range(map, learned.mode == Mode::kAnomaly ? &thresholds : nullptr);
  return heatmap_overlay(fitted, map, range.low, range.high);
}

}  // namespace aoi::pipeline
