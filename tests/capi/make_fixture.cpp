// Writes what the C API tests use into a folder: a tiny ResNet weight file, a
// second one with other weights, a model bundle trained on features of the
// first, test images, and the results the C++ Inspector gives for them
// (expected.txt), which the C tests must reproduce through aoi.h.
//
//   make_capi_fixture DIR [WEIGHTS.aoiw]
//
// With WEIGHTS (e.g. the real ResNet-50), the bundle is trained on that trunk
// instead of the tiny one, for measuring a real inspection (build-lean.sh).
#include <cstdio>
#include <fstream>

#include "aoi/inspector.hpp"
#include "io/image.hpp"
#include "support/random_resnet.hpp"
#include "support/tiny_bundle.hpp"

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
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: make_capi_fixture DIR [WEIGHTS.aoiw]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  const fs::path weights = argc == 3 ? fs::path(argv[2]) : fs::path();
  const test::TinyBundle tiny = test::make_tiny_bundle(dir, weights);
  if (weights.empty()) {
    test::TinyResNetSpec other;
    other.seed = 2;
    write_bytes(dir / "other.aoiw", test::tiny_weight_file(other, 64, dir / "scratch"));
  }

  const io::Image im = pattern();
  write_bytes(dir / "pattern.png", io::encode_png(im));
  write_bytes(dir / "not_an_image.png", {'h', 'e', 'l', 'l', 'o'});

  // What the C++ API says, for the C test to compare with.
  const Inspector inspector = Inspector::open(tiny.bundle, {1, tiny.weights});
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
