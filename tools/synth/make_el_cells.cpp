// A labelled set of electroluminescence-like images of solar cells, the
// second kind of inspection image DeepPCB is not: a bright cell crossed by
// dark busbars and faint fingers, with the nuisances real EL images carry
// (multicrystalline grains and dark dislocation clouds, the growth rings and
// dark cut corners of monocrystalline cells, vignetting, sensor noise), and a
// third of them with a defect: a crack (a thin dark branching line, sometimes
// cutting off a dark inactive area), a dark spot, or broken fingers.
//
//   aoi-make-el-cells OUT_DIR [--count 600] [--size 300] [--seed 1]
//
// Writes OUT_DIR/img/NNNNN.png and OUT_DIR/manifest.csv (path,label,time,
// group,defect,cell): time is the image's index (a production order), defect
// is crack, crack_inactive, spot, fingers or none; cell is mono or multi.
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

namespace {

struct Cell {
  int size;
  std::vector<float> v;  // brightness, multiplied by the defects
  float& at(int x, int y) { return v[std::size_t(y) * size + x]; }
  bool inside(int x, int y) const { return x >= 0 && y >= 0 && x < size && y < size; }
};

// A random walk that bends a little each step: the shape of a crack.
std::vector<std::pair<double, double>> crack_path(int size, int length, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  double x = size * (0.15 + 0.7 * u(rng)), y = size * (0.15 + 0.7 * u(rng)), a = 2 * kPi * u(rng);
  std::vector<std::pair<double, double>> path;
  for (int i = 0; i < length; ++i) {
    path.emplace_back(x, y);
    a += (u(rng) - 0.5) * 0.35;
    x += std::cos(a);
    y += std::sin(a);
    if (x < 1 || y < 1 || x > size - 2 || y > size - 2) break;
  }
  return path;
}

void darken_line(Cell& c, const std::vector<std::pair<double, double>>& path, float factor, double width) {
  for (const auto& [px, py] : path)
    for (int y = int(py - width - 1); y <= int(py + width + 1); ++y)
      for (int x = int(px - width - 1); x <= int(px + width + 1); ++x) {
        if (!c.inside(x, y)) continue;
        const double d = std::hypot(x - px, y - py);
        if (d <= width) c.at(x, y) = std::min(c.at(x, y), factor + (1 - factor) * float(d / (width + 1)));
      }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Electroluminescence-like solar cell images with cracks, dark spots and broken fingers"};
  std::string out_dir;
  int count = 600, size = 300;
  unsigned seed = 1;
  app.add_option("out", out_dir, "output folder")->required();
  app.add_option("--count", count, "images")->check(CLI::Range(10, 100000));
  app.add_option("--size", size, "image side in pixels")->check(CLI::Range(96, 4096));
  app.add_option("--seed", seed, "random seed (the set is reproducible)");
  CLI11_PARSE(app, argc, argv);

  fs::create_directories(fs::path(out_dir) / "img");
  std::ofstream manifest(fs::path(out_dir) / "manifest.csv");
  manifest << "path,label,time,group,defect,cell\n";
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<float> sensor(0.0f, 8.0f);
  const double s = size / 300.0;  // features scale with the cell
  for (int n = 0; n < count; ++n) {
    const bool mono = u(rng) < 0.5;
    const int busbars = 2 + int(u(rng) * 2);  // 2 or 3, by lot
    const double level = 150 + 12 * std::sin(n * 0.013) + 10 * (u(rng) - 0.5);
    std::vector<float> base(std::size_t(size) * size);
    const auto cloud = value_noise(size, 6, rng), grain_noise = value_noise(size, 24, rng);
    // Multicrystalline grains: nearest of random seeds, each its own brightness.
    std::vector<std::pair<double, double>> seeds;
    std::vector<float> grain_level;
    if (!mono)
      for (int k = 0, g = 40 + int(u(rng) * 40); k < g; ++k) {
        seeds.emplace_back(u(rng) * size, u(rng) * size);
        grain_level.push_back(float(18 * (u(rng) - 0.5)));
      }
    const double cx = size / 2.0 + 20 * s * (u(rng) - 0.5), cy = size / 2.0 + 20 * s * (u(rng) - 0.5);
    const double ring_period = (9 + 4 * u(rng)) * s, corner = (18 + 10 * u(rng)) * s;
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const std::size_t i = std::size_t(y) * size + x;
        double v = level;
        if (mono) {
          v += 6 * std::sin(2 * kPi * std::hypot(x - cx, y - cy) / ring_period);
          // Pseudo-square: the cut corners are dark.
          const double dx = std::min(x, size - 1 - x), dy = std::min(y, size - 1 - y);
          if (dx + dy < corner) v *= 0.25;
        } else {
          int best = 0;
          double bd = 1e18, second = 1e18;
          for (std::size_t k = 0; k < seeds.size(); ++k) {
            const double d = (x - seeds[k].first) * (x - seeds[k].first) + (y - seeds[k].second) * (y - seeds[k].second);
            if (d < bd) second = bd, bd = d, best = int(k);
            else if (d < second) second = d;
          }
          v += grain_level[best] + 6 * grain_noise[i];
          // Grain boundaries: thin dark lines, as a crack is, yet no defect.
          if (std::sqrt(second) - std::sqrt(bd) < 1.2 * s) v *= 0.8;
          // Dislocation clouds: broad dark patches that are no defect.
          v -= 45 * std::max(0.0f, cloud[i] - 0.2f);
        }
        // Vignetting toward the edges.
        const double r = std::hypot(x - size / 2.0, y - size / 2.0) / (size / 2.0);
        v *= 1 - 0.12 * r * r;
        base[i] = float(v);
      }
    Cell cell{size, std::vector<float>(std::size_t(size) * size, 1.0f)};
    // Fingers (faint, horizontal) and busbars (dark, vertical).
    const double finger_pitch = (5.5 + u(rng)) * s;
    for (int y = 0; y < size; ++y)
      if (std::fmod(y, finger_pitch) < 1.0)
        for (int x = 0; x < size; ++x) cell.at(x, y) *= 0.9f;
    const int bar_width = std::max(2, int(std::lround(5 * s)));
    for (int b = 0; b < busbars; ++b) {
      const int x0 = int(size * (b + 0.5) / busbars) - bar_width / 2;
      for (int y = 0; y < size; ++y)
        for (int x = x0; x < x0 + bar_width; ++x) cell.at(x, y) *= 0.35f;
    }
    std::string kind = "none";
    if (u(rng) < 1.0 / 3) {
      const double pick = u(rng);
      if (pick < 0.5) {
        kind = "crack";
        const auto path = crack_path(size, int((40 + 160 * u(rng)) * s), rng);
        darken_line(cell, path, 0.55f + 0.3f * float(u(rng)), (0.6 + 0.6 * u(rng)) * s);
        if (u(rng) < 0.3 && path.size() > 10) {  // a branch
          const auto& [bx, by] = path[path.size() / 2];
          auto branch = crack_path(size, int((20 + 50 * u(rng)) * s), rng);
          for (auto& p : branch) p.first += bx - branch.front().first, p.second += by - branch.front().second;
          darken_line(cell, branch, 0.7f, 0.6 * s);
        }
        if (u(rng) < 0.35 && path.size() > 2) {  // the crack cuts off an inactive, darker area
          kind = "crack_inactive";
          const auto [ax, ay] = path.front();
          const auto [bx, by] = path.back();
          const float dim = 0.65f + 0.25f * float(u(rng));
          const double nx = -(by - ay), ny = bx - ax;  // the side of the chord away from the centre
          const double side = (size / 2.0 - ax) * nx + (size / 2.0 - ay) * ny;
          for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x)
              if (((x - ax) * nx + (y - ay) * ny) * side < 0) cell.at(x, y) *= dim;
        }
      } else if (pick < 0.75) {
        kind = "spot";
        const double r = (3 + 7 * u(rng)) * s, px = r + u(rng) * (size - 2 * r), py = r + u(rng) * (size - 2 * r);
        const float depth = 0.6f + 0.25f * float(u(rng));
        for (int y = int(py - r - 2); y <= int(py + r + 2); ++y)
          for (int x = int(px - r - 2); x <= int(px + r + 2); ++x) {
            if (!cell.inside(x, y)) continue;
            const double w = std::clamp((r + 1 - std::hypot(x - px, y - py)) / 2, 0.0, 1.0);
            cell.at(x, y) *= float(1 - (1 - depth) * w);
          }
      } else {
        kind = "fingers";  // interrupted fingers: dark bands between two fingers, along them
        const int breaks = 2 + int(u(rng) * 5);
        const double px = size * (0.1 + 0.8 * u(rng)), py = size * (0.1 + 0.8 * u(rng));
        for (int k = 0; k < breaks; ++k) {
          const int y0 = int(py + k * finger_pitch), len = int((10 + 25 * u(rng)) * s);
          for (int y = y0; y < y0 + int(finger_pitch); ++y)
            for (int x = int(px); x < int(px) + len; ++x)
              if (cell.inside(x, y)) cell.at(x, y) *= 0.75f;
        }
      }
    }
    std::vector<float> grey(base.size());
    for (std::size_t i = 0; i < grey.size(); ++i) grey[i] = base[i] * cell.v[i] + sensor(rng);
    char name[32];
    std::snprintf(name, sizeof name, "img/%05d.png", n);
    aoi::synth::write_grey_png(grey, size, fs::path(out_dir) / name);
    manifest << name << "," << (kind == "none" ? "pass" : "fail") << "," << n << ",," << kind << ","
             << (mono ? "mono" : "multi") << "\n";
  }
  std::fprintf(stderr, "make_el_cells: wrote %d images and %s\n", count,
               (fs::path(out_dir) / "manifest.csv").string().c_str());
  return 0;
}
