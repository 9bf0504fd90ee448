#include "common.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/require.hpp"
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
}

std::filesystem::path resolve_weights(const std::string& flag) { return weights::resolve_location(flag); }

EngineOptions engine_options(const EngineFlags& flags) {
  EngineOptions options;
  options.threads = flags.threads;
  options.backend = parse_backend(flags.backend);
  if (!flags.isa.empty()) options.isa = kernels::parse_isa(flags.isa);  // the engine checks the CPU can run it
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

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO)), start_(now_seconds()) {}

void ProgressBar::update(std::size_t done, std::size_t total) {
  if (!enabled_ || total == 0) return;
  const double elapsed = now_seconds() - start_;
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total - done) / rate : 0.0;
  const int width = 30, filled = int(width * done / total);
  std::fprintf(stderr, "\r%s [%s%s] %zu/%zu %.1f img/s ETA %.0fs ", label_.c_str(), std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total, rate, eta);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (enabled_) std::fputc('\n', stderr);
}

}  // namespace aoi::cli
