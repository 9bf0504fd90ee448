#include "common.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "aoi/core/error.hpp"
#include "aoi/weights/location.hpp"

namespace aoi::cli {

void add_engine_flags(CLI::App& cmd, EngineFlags& flags) {
  cmd.add_option("--weights", flags.weights, "weight file (default: " + weights::default_location().string() + ", or $AOI_WEIGHTS)");
  cmd.add_option("--threads", flags.threads, "threads to compute with (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd.add_option("--backend", flags.backend, "GEMM backend: eigen or openblas")->check(CLI::IsMember({"eigen", "openblas"}));
}

std::filesystem::path resolve_weights(const std::string& flag) {
  if (!flag.empty()) return flag;
  const auto path = weights::default_location();
  if (!std::filesystem::exists(path))
    throw Error(ErrorKind::kIo, path.string() + ": no weight file here; run weights/fetch.sh, or pass --weights FILE or set AOI_WEIGHTS");
  return path;
}

Engine open_engine(const EngineFlags& flags) {
  EngineOptions options;
  options.threads = flags.threads;
  options.backend = kernels::parse_gemm_backend(flags.backend);
  return Engine::load(resolve_weights(flags.weights), options);
}

std::vector<std::string> collect_images(const std::vector<std::string>& images, const std::string& manifest) {
  std::vector<std::string> out = images;
  if (manifest.empty()) return out;
  std::ifstream in(manifest);
  require(in.good(), ErrorKind::kIo, manifest, "cannot open manifest");
  const auto base = std::filesystem::path(manifest).parent_path();
  std::string line;
  int column = 0, line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (line_no == 1) {  // a header names the path column; without one, the first column is the path
      const auto it = std::find(cells.begin(), cells.end(), "path");
      if (it != cells.end()) {
        column = int(it - cells.begin());
        continue;
      }
    }
    require(column < int(cells.size()) && !cells[column].empty(), ErrorKind::kBadData,
            manifest + ":" + std::to_string(line_no), "no path in this row");
    const std::filesystem::path p = cells[column];
    out.push_back(p.is_absolute() ? p.string() : (base / p).string());
  }
  return out;
}

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
