// A labelled inspection set of a kind DeepPCB is not: textured camera-like
// surfaces (oriented gratings over smooth noise, each part a little
// different), a third of them with one small defect of known size, scored
// as whole images. Small defects in large images are what pooling the whole
// image at res5 loses, so this set measures what feature recipes recover.
//
//   aoi-make-textured-defects OUT_DIR [--count 600] [--size 512] [--seed 1]
//       [--defect-min 8] [--defect-max 24]
//
// Writes OUT_DIR/img/NNNNN.png and OUT_DIR/manifest.csv (path,label,time,
// group,defect,size_px): time is the image's index (a production order),
// defect is scratch, spot or none, size_px its length or diameter in pixels.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "synth_common.hpp"

namespace fs = std::filesystem;
using aoi::synth::kPi;
using aoi::synth::value_noise;

int main(int argc, char** argv) {
  CLI::App app{"Textured surfaces with small defects of known size (a labelled inspection set)"};
  std::string out_dir;
  int count = 600, size = 512, defect_min = 8, defect_max = 24;
  unsigned seed = 1;
  app.add_option("out", out_dir, "output folder")->required();
  app.add_option("--count", count, "images")->check(CLI::Range(10, 100000));
  app.add_option("--size", size, "image side in pixels")->check(CLI::Range(64, 4096));
  app.add_option("--seed", seed, "random seed (the set is reproducible)");
  app.add_option("--defect-min", defect_min, "smallest defect, pixels")->check(CLI::Range(1, 4096));
  app.add_option("--defect-max", defect_max, "largest defect, pixels")->check(CLI::Range(1, 4096));
  CLI11_PARSE(app, argc, argv);
  if (defect_max < defect_min) std::swap(defect_min, defect_max);

  fs::create_directories(fs::path(out_dir) / "img");
  std::ofstream manifest(fs::path(out_dir) / "manifest.csv");
  manifest << "path,label,time,group,defect,size_px\n";
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (int n = 0; n < count; ++n) {
    // The part family drifts slowly with time: grating angle and period.
    const double angle = 0.3 + 0.2 * std::sin(n * 0.01) + 0.05 * (u(rng) - 0.5);
    const double period = 9 + 2 * std::sin(n * 0.007) + u(rng);
    const auto noise = value_noise(size, 8, rng);
    const auto fine = value_noise(size, 64, rng);
    std::vector<float> grey(std::size_t(size) * size);
    const double ca = std::cos(angle), sa = std::sin(angle), phase = 2 * kPi * u(rng);
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const std::size_t i = std::size_t(y) * size + x;
        grey[i] = float(128 + 28 * std::sin(2 * kPi * (x * ca + y * sa) / period + phase) + 22 * noise[i] + 10 * fine[i]);
      }
    std::string kind = "none";
    int defect_size = 0;
    if (u(rng) < 1.0 / 3) {
      defect_size = defect_min + int(u(rng) * (defect_max - defect_min + 1));
      const double cx = defect_max + u(rng) * (size - 2 * defect_max), cy = defect_max + u(rng) * (size - 2 * defect_max);
      const double contrast = (u(rng) < 0.5 ? -1 : 1) * (35 + 25 * u(rng));
      if (u(rng) < 0.5) {  // a scratch: a thin line of the given length
        kind = "scratch";
        const double a = kPi * u(rng), dx = std::cos(a), dy = std::sin(a);
        for (int y = int(cy) - defect_size; y <= int(cy) + defect_size; ++y)
          for (int x = int(cx) - defect_size; x <= int(cx) + defect_size; ++x) {
            const double px = x - cx, py = y - cy, along = px * dx + py * dy, across = std::abs(-px * dy + py * dx);
            if (std::abs(along) <= defect_size / 2.0 && across <= 1.2) grey[std::size_t(y) * size + x] += float(contrast);
          }
      } else {  // a spot of the given diameter, soft-edged
        kind = "spot";
        const double r = defect_size / 2.0;
        for (int y = int(cy - r) - 2; y <= int(cy + r) + 2; ++y)
          for (int x = int(cx - r) - 2; x <= int(cx + r) + 2; ++x) {
            const double d = std::hypot(x - cx, y - cy);
            const double w = std::clamp(r + 1 - d, 0.0, 1.0);
            grey[std::size_t(y) * size + x] += float(contrast * w);
          }
      }
    }
    char name[32];
    std::snprintf(name, sizeof name, "img/%05d.png", n);
    aoi::synth::write_grey_png(grey, size, fs::path(out_dir) / name);
    manifest << name << "," << (kind == "none" ? "pass" : "fail") << "," << n << ",," << kind << "," << defect_size
             << "\n";
  }
  std::fprintf(stderr, "make_textured_defects: wrote %d images and %s\n", count,
               (fs::path(out_dir) / "manifest.csv").string().c_str());
  return 0;
}
