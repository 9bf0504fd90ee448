// The promotion gate: a candidate model and the one in service, scored on
// the same time holdout of the store's labelled results (the newest ones,
// which `aoi retrain` never trains on). The candidate passes when its ROC
// AUC is not lower than the incumbent's by more than the tolerance and its
// escape rate (labelled fails it would auto-pass, at its own pass
// threshold) is not higher.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/engine.hpp"
#include "store/results_store.hpp"

namespace aoi::registry {

struct GateOptions {
  double holdout = 0.2;     // the newest share of labelled results, unless:
  std::optional<std::int64_t> holdout_from_id;  // the candidate's own boundary (aoi retrain records it)
  double tolerance = 0.01;  // AUC the candidate may lose
  std::filesystem::path weights;
  EngineOptions engine;
};

struct ModelScore {
  std::string version;
  double auc = 0, escape_rate = 0, auto_pass = 0, pass_below = 0;
  std::int64_t escapes = 0, fails = 0, items = 0;
  std::vector<std::pair<double, double>> roc;  // (false positive rate, true positive rate)
};

struct GateResult {
  bool passed = false;
  std::string reason;  // why it passed or was refused, one sentence
  ModelScore candidate, incumbent;
  std::int64_t first_id = 0, last_id = 0;  // the holdout's result ids
};

// The labelled results retraining may use, and the holdout it must not:
// the newest ceil(share * n) by id. The gate judges a retrained candidate on
// the results from the boundary it recorded, so labels added while it
// trained never move training results into its holdout.
std::pair<std::vector<store::InspectionRecord>, std::vector<store::InspectionRecord>> split_holdout(
    std::vector<store::InspectionRecord> labelled, double share);

// The bundle's recorded holdout boundary (training fact holdout_from_id).
std::optional<std::int64_t> holdout_boundary(const std::filesystem::path& bundle);

GateResult run_gate(store::ResultsStore& store, const std::filesystem::path& candidate,
                    const std::filesystem::path& incumbent, const GateOptions& options);
nlohmann::json gate_json(const GateResult& result);
std::string gate_html(const GateResult& result);

}  // namespace aoi::registry
