#include "common.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/require.hpp"
#include "nn/pack_file.hpp"
#include "weights/location.hpp"

namespace aoi::cli {

void add_engine_flags(CLI::App& cmd, EngineFlags& flags) {
  cmd.add_option("--weights", flags.weights, "weight file (default: " + weights::default_location().string() + ", or $AOI_WEIGHTS)");
  cmd.add_option("--threads", flags.threads, "threads to compute with (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd.add_option("--backend", flags.backend,
                 "trunk backend: aoi (own kernels, default), or eigen / openblas (NCHW reference path)")
      ->check(CLI::IsMember({"aoi", "eigen", "openblas"}));
  cmd.add_option("--isa", flags.isa, "instruction set of aoi's kernels (default: best for this CPU, or $AOI_ISA)")
      ->check(CLI::IsMember({"scalar", "avx2", "avx512", "neon"}));
  cmd.add_flag("--compact-weights", flags.compact_weights,
               "less memory, slower: direct convolution where Winograd's weights are large (or $AOI_COMPACT_WEIGHTS=1)");
}

void add_features_flag(CLI::App& cmd, EngineFlags& flags) {
  std::vector<std::string> names;
  std::string doc = "feature recipe:";
  for (const auto& r : feature_recipes()) {
    names.emplace_back(r.name);
    doc += std::string(" ") + r.name + " (" + r.doc + ");";
  }
  doc.pop_back();
  flags.features = feature_recipe_name(kDefaultRecipe);
  cmd.add_option("--features", flags.features, doc)->check(CLI::IsMember(names))->capture_default_str();
}

std::filesystem::path resolve_weights(const std::string& flag) { return weights::resolve_location(flag); }

EngineOptions engine_options(const EngineFlags& flags) {
  EngineOptions options;
  options.threads = flags.threads;
  options.backend = parse_backend(flags.backend);
  if (!flags.isa.empty()) options.isa = kernels::parse_isa(flags.isa);  // the engine checks the CPU can run it
  options.recipe = parse_feature_recipe(flags.features);
  options.patches = flags.patches;
  options.pack_dir = nn::pack_dir_from_environment(true);
  options.compact_weights = flags.compact_weights || compact_weights_from_environment();
  return options;
}

Engine open_engine(const EngineFlags& flags) { return Engine::load(resolve_weights(flags.weights), engine_options(flags)); }

image::Roi parse_roi(const std::string& text) {
  image::Roi roi;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d,%d,%d,%d%c", &roi.x, &roi.y, &roi.width, &roi.height, &tail) != 4 ||
      roi.width <= 0 || roi.height <= 0 || roi.x < 0 || roi.y < 0)
    throw Error(ErrorKind::kInvalidArgument, "--roi '" + text + "': expected x,y,w,h with w and h positive");
  return roi;
}

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

namespace {
bool g_quiet = false;
}  // namespace

void set_quiet(bool quiet) { g_quiet = quiet; }

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), terminal_(isatty(STDERR_FILENO)), start_(now_seconds()), last_line_(start_) {
  if (const char* env = std::getenv("AOI_PROGRESS_SECONDS"); env && *env) interval_ = std::max(0.0, std::atof(env));
}

// On a terminal: a bar redrawn in place. Elsewhere (logs, CI, a service
// manager): a plain line every few seconds, so long work is seen to move.
void ProgressBar::update(std::size_t done, std::size_t total) {
  if (g_quiet || total == 0) return;
  const double now = now_seconds(), elapsed = now - start_;
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total - done) / rate : 0.0;
  if (terminal_) {
    const int width = 30, filled = int(width * done / total);
    std::fprintf(stderr, "\r%s [%s%s] %zu/%zu %.1f img/s ETA %.0fs ", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total, rate, eta);
    std::fflush(stderr);
    drew_ = true;
  } else if (now - last_line_ >= interval_ && done < total) {
    std::fprintf(stderr, "aoi: %s %zu/%zu (%.0f%%) %.1f img/s ETA %.0fs\n", label_.c_str(), done, total,
                 100.0 * double(done) / double(total), rate, eta);
    last_line_ = now;
  }
}

void ProgressBar::finish() {
  if (drew_) std::fputc('\n', stderr);
  drew_ = false;
}

}  // namespace aoi::cli

namespace aoi::cli {

CLI::Validator output_extensions(std::vector<std::string> extensions) {
  std::string names;
  for (const auto& e : extensions) names += (names.empty() ? "" : " or ") + e;
  return CLI::Validator(
      [extensions, names](std::string& path) -> std::string {
        const std::string ext = std::filesystem::path(path).extension().string();
        for (const auto& e : extensions)
          if (ext == e) return {};
        return "'" + path + "': this command writes " + names + " files, not '" + (ext.empty() ? path : ext) + "'";
      },
      names, "output extension");
}

}  // namespace aoi::cli
