// Training a gradient-boosted tree model: histogram method, leaf-wise growth,
// binary log-loss or multi-class softmax, optional early stopping.
#pragma once

#include <functional>
#include <span>

#include "gbdt/model.hpp"
#include "gbdt/params.hpp"

namespace aoi::gbdt {

// A dense row-major float32 matrix with labels (0/1, or class indices) and
// optional row weights. Features may be NaN (missing).
struct DataView {
  const float* features = nullptr;
  std::size_t rows = 0, cols = 0;
  std::span<const float> labels;
  std::span<const float> weights;  // empty: all 1
};

struct RoundLog {
  int round;
  double train_seconds;     // since training began
  double valid_metric;      // NaN without a validation set
};

// Trains on `train`; with `valid`, evaluates params.metric each round and, if
// params.early_stopping_rounds > 0, keeps the model at the best round.
// Bad input (empty data, a single class, labels out of range or NaN, width
// mismatch) is an aoi::Error saying what is wrong.
Model train(const Params& params, const DataView& train, const DataView* valid = nullptr,
            const std::function<void(const RoundLog&)>& on_round = {});

}  // namespace aoi::gbdt
