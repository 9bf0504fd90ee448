// `aoi train` as a function, so that `aoi retrain` trains exactly as it does
// (same flags, same time-based CV for the thresholds) on the manifest it
// builds from a base manifest and the store's labels.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "learn_flags.hpp"

namespace aoi::cli {

struct TrainArgs {
  LearnFlags learn;
  std::string output;
  double pass_below = -1, fail_from = -1;
  std::string thresholds_from;
  std::string report;  // --report: the CV's HTML report, with the bundle's model version
  std::vector<std::pair<std::string, std::string>> facts;  // added to the bundle's training facts
};

void add_train_flags(CLI::App& cmd, TrainArgs& args);
int run_train(const TrainArgs& args);  // the exit code

}  // namespace aoi::cli
