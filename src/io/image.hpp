// Decoding inspection images (JPEG, PNG, TIFF, BMP) into one 8-bit RGB type.
//
// Every decoder checks the header against ImageLimits before it allocates, and
// every failure is an aoi::Error whose message starts with the image's name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace aoi::io {

// An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3 bytes

  const std::uint8_t* pixel(int x, int y) const { return rgb.data() + (std::size_t(y) * width + x) * 3; }
};

// Bounds on what a decoder accepts; checked before any pixel buffer exists.
struct ImageLimits {
  std::int64_t max_width = 30000;
  std::int64_t max_height = 30000;
  std::int64_t max_pixels = 256'000'000;      // 256 megapixels
  std::int64_t max_file_bytes = 1ll << 30;     // 1 GiB of encoded data
  int max_jpeg_scans = 100;                    // progressive JPEGs: a normal one has about 10; thousands cost minutes
};

enum class ImageFormat { kUnknown, kJpeg, kPng, kTiff, kBmp };

// The format announced by the first bytes (magic numbers), or kUnknown.
ImageFormat sniff_format(std::span<const std::uint8_t> bytes);
const char* format_name(ImageFormat format);
// The MIME type (image/jpeg, ...; application/octet-stream for kUnknown).
const char* content_type(ImageFormat format);

// Decodes bytes; `name` (usually the file path) prefixes every error message.
// Grey is replicated to RGB, alpha dropped, 16-bit samples scaled to 8-bit.
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name,
                   const ImageLimits& limits = {});

// Reads and decodes a file.
Image read_image(const std::filesystem::path& path, const ImageLimits& limits = {});

// An 8-bit RGB PNG of the image (report thumbnails, debugging).
std::vector<std::uint8_t> encode_png(const Image& image);

// Reads a whole file, refusing files larger than max_bytes.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::int64_t max_bytes);
// What read_file checks first: the path exists and is a regular file, not a
// folder; aoi::Error(kIo) naming it otherwise.
void require_regular_file(const std::filesystem::path& path);

}  // namespace aoi::io
