#include "pipeline/mode.hpp"

#include "aoi/error.hpp"

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

const char* mode_name(Mode mode) {
  for (const auto& m : kModes)
    if (m.mode == mode) return m.name;
  return "?";
}

Mode parse_mode(const std::string& name) {
  std::string known;
  for (const auto& m : kModes) {
    if (name == m.name) return m.mode;
    known += (known.empty() ? "" : ", ") + std::string(m.name);
  }
  throw Error(ErrorKind::kInvalidArgument, "unknown mode '" + name + "' (known: " + known + ")");
}

}  // namespace aoi::pipeline
