#include "pipeline/mode.hpp"

#include "core/named_values.hpp"

namespace aoi::pipeline {
namespace {

constexpr ModeInfo kModes[] = {
    {Mode::kSupervised, "supervised", "GBDT on the recipe's features, learnt from pass and fail items"},
    {Mode::kAnomaly, "anomaly",
     "nearest-neighbour distance to a memory bank of patches of pass items only (fail items only test it)"},
    {Mode::kCombined, "combined", "GBDT on the recipe's features plus the anomaly score as one more feature"},
};

}  // namespace

std::span<const ModeInfo> modes() { return kModes; }

const char* mode_name(Mode mode) { return name_in(modes(), mode); }

Mode parse_mode(const std::string& name) { return parse_name_in(modes(), name, "mode"); }

}  // namespace aoi::pipeline
