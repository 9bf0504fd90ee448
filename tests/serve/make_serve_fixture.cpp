// Writes what the service tests post and serve into a folder, from the tiny
// ResNet of the other tests (no real weights needed):
//   tiny.aoiw, model.json (P(fail) grows with brightness), model_b.json (the
//   same trunk, another GBDT: another model_version), model_review.json
//   (model.json with thresholds that make every verdict `review`),
//   model_inverted.json (trained on inverted labels: worse), api_keys.txt,
//   dark.png, bright.png, board.jpg (a 160x120 JPEG), board.tif, board.bmp,
//   truncated.jpg (board.jpg cut in half), not_an_image.bin,
//   bomb.png (a valid PNG header announcing 20000 x 20000 pixels).
//
//   make_serve_fixture DIR
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "pipeline/bundle.hpp"
#include "support/image_writers.hpp"
#include "support/tiny_bundle.hpp"

namespace fs = std::filesystem;
using aoi::test::Bytes;

namespace {

void write_bytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

std::vector<std::uint8_t> flat(int w, int h, int level) {
  std::vector<std::uint8_t> rgb(std::size_t(w) * h * 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = std::uint8_t(std::max(0, std::min(255, level + int(i * 7 % 9) - 4)));
  return rgb;
}

std::vector<std::uint16_t> widen(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_serve_fixture DIR\n");
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  const auto a = aoi::test::make_tiny_bundle(dir);
  fs::rename(a.bundle, dir / "model.json");
  const auto b = aoi::test::make_tiny_bundle(dir / "b", a.weights);
  fs::rename(b.bundle, dir / "model_b.json");
  const auto bad = aoi::test::make_tiny_bundle(dir / "inverted", a.weights, true);
  fs::rename(bad.bundle, dir / "model_inverted.json");
  // Everything is `review` with this one: the review queue's tests.
  aoi::pipeline::ModelBundle review = aoi::pipeline::load_bundle(dir / "model.json");
  review.thresholds = {0.0, 1.0};
  aoi::pipeline::save_bundle(review, dir / "model_review.json");
  std::ofstream(dir / "api_keys.txt") << "# keys of the service tests\nserve-test-key-0123456789\n\nsecond-key-abcdefghijklmnop\n";

  write_bytes(dir / "dark.png", aoi::test::encode_png(64, 48, 2, 8, widen(flat(64, 48, 20))));
  write_bytes(dir / "bright.png", aoi::test::encode_png(64, 48, 2, 8, widen(flat(64, 48, 235))));
  std::vector<std::uint8_t> board(160 * 120 * 3);
  for (int y = 0; y < 120; ++y)
    for (int x = 0; x < 160; ++x)
      for (int c = 0; c < 3; ++c) board[(std::size_t(y) * 160 + x) * 3 + c] = std::uint8_t((x * 3 + y * 5 + c * 70) % 256);
  const Bytes jpeg = aoi::test::encode_jpeg(160, 120, 3, board);
  write_bytes(dir / "board.jpg", jpeg);
  write_bytes(dir / "truncated.jpg", Bytes(jpeg.begin(), jpeg.begin() + std::ptrdiff_t(jpeg.size() / 2)));
  write_bytes(dir / "board.tif", aoi::test::encode_tiff(160, 120, 3, 8, widen(board)));
  write_bytes(dir / "board.bmp", aoi::test::encode_bmp(160, 120, 24, board));
  write_bytes(dir / "not_an_image.bin", Bytes{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  // A 1x1 PNG whose IHDR (with its CRC) is rewritten to 20000 x 20000: a
  // decoder must refuse it by its size before allocating any pixel.
  Bytes bomb = aoi::test::encode_png(1, 1, 0, 8, {0});
  const std::uint32_t side = 20000;
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 4; ++i) bomb[16 + 4 * k + i] = std::uint8_t(side >> (24 - 8 * i));
  std::uint32_t crc = 0xffffffffu;  // over the chunk type and data, bytes 12..28
  for (int i = 12; i < 29; ++i) {
    crc ^= bomb[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  for (int i = 0; i < 4; ++i) bomb[29 + i] = std::uint8_t(crc >> (24 - 8 * i));
  write_bytes(dir / "bomb.png", bomb);
  return 0;
}
