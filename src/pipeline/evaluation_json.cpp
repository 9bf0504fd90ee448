#include "pipeline/evaluation_json.hpp"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/require.hpp"

namespace aoi::pipeline {
namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

EvaluationThresholds parse_evaluation_thresholds(std::span<const std::uint8_t> bytes, const std::string& name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes.begin(), bytes.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kBadData, name + ": invalid JSON (" + std::string(e.what()) + ")");
  }
  try {
    auto unit = [&](const nlohmann::json& v, const char* what) {
      const double x = v.get<double>();
      require(std::isfinite(x) && x >= 0 && x <= 1, ErrorKind::kBadData, name,
              std::string(what) + " must be a number from 0 to 1");
      return x;
    };
    EvaluationThresholds out;
    out.thresholds = {unit(j.at("operating_point").at("threshold"), "operating_point.threshold"),
                      unit(j.at("fail_point").at("threshold"), "fail_point.threshold")};
    require(out.thresholds.pass_below <= out.thresholds.fail_from, ErrorKind::kBadData, name,
            "the pass threshold is above the fail threshold");
    out.facts = {{"cv_auc_mean", number_text(unit(j.at("auc_mean"), "auc_mean"))},
                 {"cv_auto_pass", number_text(unit(j.at("operating_point").at("auto_pass"), "operating_point.auto_pass"))},
                 {"target_recall", number_text(unit(j.at("operating_point").at("target_recall"), "operating_point.target_recall"))}};
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kBadData, name + ": not an 'aoi evaluate --json' file (" + e.what() + ")");
  }
}

}  // namespace aoi::pipeline
