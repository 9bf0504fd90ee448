#include "support/random_resnet.hpp"

#include <atomic>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "convert.hpp"
#include "support/naive.hpp"

namespace aoi::test {
namespace {

void add_conv_bn(StateDict& s, std::mt19937& rng, const std::string& conv, const std::string& bn, int out, int in, int k) {
  const float scale = std::sqrt(2.0f / (in * k * k));
  s[conv + ".weight"] = {{out, in, k, k}, random_floats(std::size_t(out) * in * k * k, rng, -scale * 1.7f, scale * 1.7f)};
  s[bn + ".weight"] = {{out}, random_floats(out, rng, 0.5f, 1.5f)};
  s[bn + ".bias"] = {{out}, random_floats(out, rng, -0.2f, 0.2f)};
  s[bn + ".running_mean"] = {{out}, random_floats(out, rng, -0.2f, 0.2f)};
  s[bn + ".running_var"] = {{out}, random_floats(out, rng, 0.5f, 1.5f)};
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// conv (no bias) then batch norm (eps 1e-5), optional ReLU.
std::vector<double> conv_bn(const StateDict& s, const std::string& conv, const std::string& bn,
                            const std::vector<double>& x, int& c, int& h, int& w, int stride, bool relu) {
  const auto& wt = s.at(conv + ".weight");
  const int out = int(wt.shape[0]), k = int(wt.shape[2]);
  auto y = naive_conv(x, c, h, w, to_double(wt.values), {}, out, k, stride, k / 2);
  h = (h + 2 * (k / 2) - k) / stride + 1, w = (w + 2 * (k / 2) - k) / stride + 1, c = out;
  const std::size_t plane = std::size_t(h) * w;
  for (int o = 0; o < out; ++o) {
    const double g = s.at(bn + ".weight").values[o], b = s.at(bn + ".bias").values[o];
    const double m = s.at(bn + ".running_mean").values[o], v = s.at(bn + ".running_var").values[o];
    for (std::size_t i = 0; i < plane; ++i) {
      double& z = y[o * plane + i];
      z = (z - m) / std::sqrt(v + 1e-5) * g + b;
      if (relu) z = std::max(z, 0.0);
    }
  }
  return y;
}

}  // namespace

StateDict make_torchvision_state(const TinyResNetSpec& spec) {
  std::mt19937 rng(spec.seed);
  StateDict s;
  add_conv_bn(s, rng, "conv1", "bn1", spec.stem, 3, 7);
  int channels = spec.stem;
  for (std::size_t st = 0; st < spec.blocks.size(); ++st) {
    const int mid = spec.widths[st], out = mid * 4;
    for (int b = 0; b < spec.blocks[st]; ++b) {
      const std::string p = "layer" + std::to_string(st + 1) + "." + std::to_string(b) + ".";
      add_conv_bn(s, rng, p + "conv1", p + "bn1", mid, channels, 1);
      add_conv_bn(s, rng, p + "conv2", p + "bn2", mid, mid, 3);
      add_conv_bn(s, rng, p + "conv3", p + "bn3", out, mid, 1);
      if (b == 0) add_conv_bn(s, rng, p + "downsample.0", p + "downsample.1", out, channels, 1);
      channels = out;
    }
  }
  s["fc.weight"] = {{spec.classes, channels}, random_floats(std::size_t(spec.classes) * channels, rng)};
  s["fc.bias"] = {{spec.classes}, random_floats(spec.classes, rng)};
  return s;
}

void write_safetensors(const std::filesystem::path& path, const StateDict& state) {
  nlohmann::json header = nlohmann::json::object();
  std::uint64_t offset = 0;
  for (const auto& [name, t] : state) {
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.values.size() * 4}}};
    offset += t.values.size() * 4;
  }
  header["__metadata__"] = {{"format", "pt"}};
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const std::uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out << text;
  for (const auto& [name, t] : state) out.write(reinterpret_cast<const char*>(t.values.data()), std::streamsize(t.values.size() * 4));
}

std::vector<double> reference_forward(const StateDict& s, const TinyResNetSpec& spec, const std::vector<float>& input,
                                      int h, int w) {
  int c = 3;
  auto x = conv_bn(s, "conv1", "bn1", to_double(input), c, h, w, 2, true);
  x = naive_max_pool(x, c, h, w, 3, 2, 1);
  h = (h + 2 - 3) / 2 + 1, w = (w + 2 - 3) / 2 + 1;
  for (std::size_t st = 0; st < spec.blocks.size(); ++st)
    for (int b = 0; b < spec.blocks[st]; ++b) {
      const std::string p = "layer" + std::to_string(st + 1) + "." + std::to_string(b) + ".";
      const int stride = (st > 0 && b == 0) ? 2 : 1;
      int c1 = c, h1 = h, w1 = w;
      auto y = conv_bn(s, p + "conv1", p + "bn1", x, c1, h1, w1, 1, true);
      y = conv_bn(s, p + "conv2", p + "bn2", y, c1, h1, w1, stride, true);  // v1.5: stride on the 3x3
      y = conv_bn(s, p + "conv3", p + "bn3", y, c1, h1, w1, 1, false);
      std::vector<double> identity = x;
      if (s.count(p + "downsample.0.weight")) {
        int c2 = c, h2 = h, w2 = w;
        identity = conv_bn(s, p + "downsample.0", p + "downsample.1", x, c2, h2, w2, stride, false);
      }
      for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::max(y[i] + identity[i], 0.0);
      x = std::move(y), c = c1, h = h1, w = w1;
    }
  std::vector<double> features(c);
  for (int i = 0; i < c; ++i) {
    double sum = 0;
    for (int j = 0; j < h * w; ++j) sum += x[std::size_t(i) * h * w + j];
    features[i] = sum / (h * w);
  }
  return features;
}

std::vector<std::uint8_t> tiny_weight_file(const TinyResNetSpec& spec, int input_size,
                                           const std::filesystem::path& scratch_dir) {
  return weight_file_of_state(make_torchvision_state(spec), spec.classes, input_size, scratch_dir);
}

std::vector<std::uint8_t> weight_file_of_state(const StateDict& state, int classes, int input_size,
                                               const std::filesystem::path& scratch_dir) {
  std::filesystem::create_directories(scratch_dir);
  // CTest runs test cases as parallel processes: keep their files apart.
  static std::atomic<int> serial{0};
  const auto path = scratch_dir / ("tiny_" + std::to_string(serial++) + "_" + std::to_string(getpid()) + ".safetensors");
  write_safetensors(path, state);
  weights::ModelDescription d;
  auto writer = convert::convert_safetensors(path, d);
  d.preprocess.input_size = input_size;
  d.preprocess.resize_short = input_size * 8 / 7;
  d.labels.clear();
  for (int i = 0; i < classes; ++i) d.labels.push_back("class" + std::to_string(i));
  std::filesystem::remove(path);
  return writer.serialize(d);
}

}  // namespace aoi::test
