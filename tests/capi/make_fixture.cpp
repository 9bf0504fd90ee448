// Writes what the C API tests use into a folder: a tiny ResNet weight file, a
// second one with other weights, a model bundle trained on features of the
// first, test images, and the results the C++ Inspector gives for them
// (expected.txt), which the C tests must reproduce through aoi.h.
//
//   make_capi_fixture DIR
#include <cstdio>
#include <fstream>
#include <random>

#include "aoi/inspector.hpp"
#include "gbdt/train.hpp"
#include "io/image.hpp"
#include "nn/engine.hpp"
#include "pipeline/bundle.hpp"
#include "support/random_resnet.hpp"

namespace fs = std::filesystem;
using namespace aoi;

namespace {

// The pattern the C test rebuilds in memory: 80 x 60 RGB.
io::Image pattern() {
  io::Image im;
  im.width = 80, im.height = 60;
  im.rgb.resize(std::size_t(im.width) * im.height * 3);
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      for (int c = 0; c < 3; ++c) im.rgb[(std::size_t(y) * im.width + x) * 3 + c] = std::uint8_t((x * 7 + y * 13 + c * 50) % 256);
  return im;
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_capi_fixture DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  test::TinyResNetSpec spec;
  write_bytes(dir / "tiny.aoiw", test::tiny_weight_file(spec, 64, dir / "scratch"));
  spec.seed = 2;
  write_bytes(dir / "other.aoiw", test::tiny_weight_file(spec, 64, dir / "scratch"));

  // Features of random images, labelled by their mean brightness: a model
  // whose P(fail) really depends on the image.
  const Engine engine = Engine::load(dir / "tiny.aoiw", EngineOptions{1});
  const int d = engine.feature_dim(), s = engine.input_size();
  std::mt19937 rng(5);
  const int n = 120;
  std::vector<float> features(std::size_t(n) * d), labels(n), input(std::size_t(3) * s * s);
  for (int i = 0; i < n; ++i) {
    io::Image im;
    im.width = im.height = 32;
    const int level = int(rng() % 256);
    im.rgb.resize(32 * 32 * 3);
    for (auto& v : im.rgb) v = std::uint8_t(std::clamp(level + int(rng() % 41) - 20, 0, 255));
    engine.prepare(im, std::nullopt, std::nullopt, "random", input.data());
    engine.featurize(input, 1, std::span<float>(features.data() + std::size_t(i) * d, d));
    labels[i] = level > 128 ? 1.0f : 0.0f;
  }
  gbdt::Params p;
  p.num_rounds = 20;
  p.min_data_in_leaf = 3;
  pipeline::ModelBundle bundle;
  bundle.model = gbdt::train(p, {features.data(), std::size_t(n), std::size_t(d), labels, {}});
  bundle.thresholds = {0.3, 0.7};
  bundle.weights_hash = engine.weights().payload_hash();
  bundle.created = "2026-12-04T00:00:00Z";
  pipeline::save_bundle(bundle, dir / "model.json");

  const io::Image im = pattern();
  write_bytes(dir / "pattern.png", io::encode_png(im));
  write_bytes(dir / "not_an_image.png", {'h', 'e', 'l', 'l', 'o'});

  // What the C++ API says, for the C test to compare with.
  const Inspector inspector = Inspector::open(dir / "model.json", {1, dir / "tiny.aoiw"});
  const Inspection whole = inspector.inspect_file(dir / "pattern.png");
  const Inspection region = inspector.inspect_file(dir / "pattern.png", Region{10, 5, 40, 30});
  io::Image grey = im;
  for (std::size_t i = 0; i < grey.rgb.size(); i += 3) grey.rgb[i + 1] = grey.rgb[i + 2] = grey.rgb[i];
  const Inspection grey_result =
      inspector.inspect(PixelView{grey.rgb.data(), grey.width, grey.height, std::ptrdiff_t(grey.width) * 3, 3});
  std::ofstream out(dir / "expected.txt");
  out.precision(9);
  out << whole.p_fail << " " << int(whole.verdict) << "\n"
      << region.p_fail << " " << int(region.verdict) << "\n"
      << grey_result.p_fail << " " << int(grey_result.verdict) << "\n"
      << inspector.model_version() << "\n";
  return 0;
}
