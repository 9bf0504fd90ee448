// Reading back what `aoi evaluate --json` wrote: the decision thresholds of
// its operating points and the facts a bundle records about them
// (`aoi train --thresholds-from`). Untrusted input: every value is checked.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/bundle.hpp"

namespace aoi::pipeline {

struct EvaluationThresholds {
  Thresholds thresholds;                                     // pass below, fail from
  std::vector<std::pair<std::string, std::string>> facts;    // cv_auc_mean, cv_auto_pass, target_recall
};

EvaluationThresholds parse_evaluation_thresholds(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace aoi::pipeline
