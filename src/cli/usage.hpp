// Usage errors a person can act on: an unknown command or flag names itself
// and suggests the nearest known one.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace aoi::cli {

// The candidate closest to `word` by edit distance, or "" when none is close.
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// After a parse with extras allowed: "" when the command line is complete,
// else the message to print (exit 2). Also sets `runnable` to the deepest
// parsed subcommand.
std::string check_command_line(CLI::App& app, CLI::App*& runnable);

}  // namespace aoi::cli
