// Where a model sees the defect, as a grid of values in [0, 1] over what the
// trunk saw (the region after the resize policy), and that grid drawn over
// the image as a PNG.
//  - Modes with a memory bank: each patch's distance d to the bank, as
//    d / (d + scale) (the mapping of the image score, so the hottest patch of
//    an anomaly-mode map is the image's P(fail)).
//  - Supervised mode: pooling occlusion, a feature attribution that needs no
//    further trunk pass. The recipe's features are pooled over the grid
//    (res5's mean; res3's and res4's generalised means); each cell of res4's
//    grid is left out of every pooling in turn (with the res3 cells under it
//    and the res5 cell over it) and the value is how far P(fail) falls:
//    max(0, P - P_without_cell). Greying out pixels instead would paint a new
//    defect on a textured part and measure that.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "aoi/inspector.hpp"
#include "io/image.hpp"
#include "nn/engine.hpp"
#include "pipeline/bundle.hpp"
#include "pipeline/evaluate.hpp"

namespace aoi::pipeline {

// The patch map from per-patch distances (side x side, row by row).
Heatmap distance_heatmap(std::span<const float> distances, int side, float scale);
// The same for distances averaged over `banks` (RowScorer::score's): a square
// grid, mapped with the banks' mean scale.
Heatmap bank_heatmap(std::span<const float> distances, std::span<const anomaly::MemoryBank> banks);

// res3, res4 and res5 of one image as the engine's stage tap shows them
// (NCHW), kept for pooling_heatmap.
struct StageActivations {
  struct Layer {
    std::vector<float> data;
    int channels = 0, side = 0;
  };
  Layer res3, res4, res5;
  // A tap for Engine::featurize that fills this (square grids only).
  nn::StageTap tap();
};

// The pooling-occlusion map of an image whose `features` (feature_dim
// floats, `recipe`'s layout) and activations were computed together;
// fail_score turns one feature row into P(fail).
Heatmap pooling_heatmap(const StageActivations& activations, FeatureRecipe recipe, std::span<const float> features,
                        const std::function<float(const float* features)>& fail_score);

// The trunk's view (fitted: S x S RGB, from image::fit_to_input) with the map
// drawn over it: transparent at `low` and below, opaque yellow-red at `high`.
io::Image heatmap_overlay(const io::Image& fitted, const Heatmap& map, float low, float high);
// The range heatmap_overlay gets. Patch maps whose values are on the scale
// of the image score (anomaly mode: pass `thresholds`): from the pass
// threshold to the fail threshold, so only patches that alone would keep the
// image from passing show, red where they alone would fail it. Other patch
// maps (combined mode): from the map's median to its maximum. Occlusion:
// from a fifth of the map's maximum (at least 0.01) to it, so the noise of
// an unimportant cell stays clear.
struct OverlayRange {
  float low, high;
};
OverlayRange overlay_range(const Heatmap& map, const Thresholds* thresholds);

// The overlay of out-of-fold item `index` (of `data`, at `item`) by the
// model of the fold that tested it (ev.fold_models, from keep_models):
// what the report shows beside the worst errors and the review band.
// Supervised folds run the trunk once more on the image (`engine`, which
// made `data`); folds with a memory bank read the patches in `data`.
io::Image fold_heatmap_overlay(const Engine& engine, const Evaluation& ev, const LabelledData& data,
                               std::size_t index, const std::string& path, const std::optional<image::Roi>& roi,
                               image::ResizePolicy policy, const io::ImageLimits& limits);

}  // namespace aoi::pipeline
