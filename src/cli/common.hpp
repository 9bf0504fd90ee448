// Pieces every aoi command shares: locating the weights, the engine options,
// reading image lists, and the progress bar.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "nn/engine.hpp"

namespace aoi::cli {

// Options of every command that computes.
struct EngineFlags {
  std::string weights;  // --weights; else weights::default_location()
  int threads = 0;      // --threads; 0 = all cores
  std::string backend = "aoi";
  std::string isa;
  // --features, on the commands that make features (default kDefaultRecipe);
  // the others use global (classify) or the bundle's recipe (score, serve).
  std::string features = "global";
  bool patches = false;  // EngineOptions::patches: set by --mode anomaly|combined
  bool compact_weights = false;  // --compact-weights
};
void add_engine_flags(CLI::App& cmd, EngineFlags& flags);
void add_features_flag(CLI::App& cmd, EngineFlags& flags);
EngineOptions engine_options(const EngineFlags& flags);
Engine open_engine(const EngineFlags& flags);

// The --weights flag, else weights::default_location(), which must exist.
std::filesystem::path resolve_weights(const std::string& flag);

// "x,y,w,h" to a Roi; throws with the text on a bad value.
image::Roi parse_roi(const std::string& text);

// Progress of long work on stderr: a bar on a terminal, else a line with
// count, rate and ETA every kLineSeconds ($AOI_PROGRESS_SECONDS overrides).
// set_quiet(true) (--quiet) silences it.
class ProgressBar {
 public:
  static constexpr double kLineSeconds = 5.0;
  explicit ProgressBar(std::string label);
  void update(std::size_t done, std::size_t total);
  void finish();

 private:
  std::string label_;
  bool terminal_;
  bool drew_ = false;
  double start_, last_line_;
  double interval_ = kLineSeconds;
};
void set_quiet(bool quiet);

// A validator for output paths: the extensions a command can write
// (e.g. {".npy"}); any other is a usage error naming the path and them.
CLI::Validator output_extensions(std::vector<std::string> extensions);

}  // namespace aoi::cli
