// What `aoi models promote` and `aoi retrain --promote` share: the gate's
// flags and the gated promotion.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "registry/registry.hpp"
#include "common.hpp"

namespace aoi::cli {

struct GateFlags {
  bool gate = false;
  std::string store, by;
  double holdout = 0.2, tolerance = 0.01;
  EngineFlags engine;
};

void add_gate_flags(CLI::App& cmd, GateFlags& flags);
std::string default_user();
// Gates `version` against the one in service (when flags.gate and there is
// one), writes gate.json and gate.html beside it, and promotes it when it
// passes. Returns the exit code: 1 when the gate refused.
int gate_and_promote(registry::Registry& reg, const std::string& version, const GateFlags& flags);

}  // namespace aoi::cli
