// How a model decides, declared once: the modes `aoi evaluate|train --mode`
// accept and bundles record (docs/anomaly.md).
#pragma once

#include <span>
#include <string>

#include "core/named_values.hpp"

namespace aoi::pipeline {

enum class Mode {
  kSupervised,  // GBDT on the recipe's features, from pass and fail items
  kAnomaly,     // memory bank of good patches, from pass items only
  kCombined,    // GBDT on the recipe's features plus the anomaly score
};

using ModeInfo = NamedValue<Mode>;

std::span<const ModeInfo> modes();
// What evaluate, train and retrain use without --mode: the mode that
// measured best overall at an acceptable cost (docs/accuracy.md).
inline constexpr Mode kDefaultMode = Mode::kCombined;
const char* mode_name(Mode mode);
// Throws aoi::Error(kInvalidArgument) naming the known modes.
Mode parse_mode(const std::string& name);
// Whether the mode needs the patch grid (EngineOptions::patches) and a GBDT.
inline bool mode_uses_patches(Mode m) { return m != Mode::kSupervised; }
inline bool mode_uses_gbdt(Mode m) { return m != Mode::kAnomaly; }

}  // namespace aoi::pipeline
