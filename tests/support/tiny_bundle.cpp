#include "support/tiny_bundle.hpp"

#include <algorithm>
#include <fstream>
#include <random>

#include "gbdt/train.hpp"
#include "io/image.hpp"
#include "nn/engine.hpp"
#include "pipeline/bundle.hpp"
#include "support/random_resnet.hpp"

namespace aoi::test {

TinyBundle make_tiny_bundle(const std::filesystem::path& dir, const std::filesystem::path& given_weights,
                            bool invert_labels) {
  std::filesystem::create_directories(dir);
  TinyBundle out{given_weights, dir / "model.json"};
  if (out.weights.empty()) {
    out.weights = dir / "tiny.aoiw";
    const auto bytes = tiny_weight_file(TinyResNetSpec{}, 64, dir / "scratch");
    std::ofstream(out.weights, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  // Features of random flat-ish images, labelled by their brightness.
  const Engine engine = Engine::load(out.weights, EngineOptions{given_weights.empty() ? 1 : 0});
  const int d = engine.feature_dim(), s = engine.input_size();
  std::mt19937 rng(5);
  const int n = given_weights.empty() ? 120 : 40;
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
  if (invert_labels)
    for (auto& l : labels) l = 1.0f - l;
  gbdt::Params p;
  p.num_rounds = 20;
  p.min_data_in_leaf = 3;
  pipeline::ModelBundle bundle;
  bundle.model = gbdt::train(p, {features.data(), std::size_t(n), std::size_t(d), labels, {}});
  bundle.thresholds = {0.3, 0.7};
  bundle.weights_hash = engine.weights().payload_hash();
  bundle.feature_identity = engine.feature_identity();
  bundle.created = "2026-12-04T00:00:00Z";
  pipeline::save_bundle(bundle, out.bundle);
  return out;
}

}  // namespace aoi::test
