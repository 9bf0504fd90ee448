// Format sniffing and the dispatch to one decoder per format.
#include "io/image.hpp"

#include <cstring>
#include <fstream>

#include "core/require.hpp"
#include "image_limits.hpp"

namespace aoi::io {

ImageFormat sniff_format(std::span<const std::uint8_t> b) {
  auto starts = [&](std::initializer_list<std::uint8_t> magic) {
    if (b.size() < magic.size()) return false;
    return std::equal(magic.begin(), magic.end(), b.begin());
  };
  if (starts({0xFF, 0xD8, 0xFF})) return ImageFormat::kJpeg;
  if (starts({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})) return ImageFormat::kPng;
  if (starts({'I', 'I', 42, 0}) || starts({'M', 'M', 0, 42})) return ImageFormat::kTiff;
  if (starts({'B', 'M'})) return ImageFormat::kBmp;
  return ImageFormat::kUnknown;
}

const char* content_type(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "image/jpeg";
    case ImageFormat::kPng: return "image/png";
    case ImageFormat::kTiff: return "image/tiff";
    case ImageFormat::kBmp: return "image/bmp";
    default: return "application/octet-stream";
  }
}

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kTiff: return "TIFF";
    case ImageFormat::kBmp: return "BMP";
    default: return "unknown";
  }
}

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name, const ImageLimits& limits) {
  require(!bytes.empty(), ErrorKind::kBadImage, name, "file is empty");
  require(static_cast<std::int64_t>(bytes.size()) <= limits.max_file_bytes, ErrorKind::kBadImage, name,
          "file is larger than the limit of " + std::to_string(limits.max_file_bytes) + " bytes");
  switch (sniff_format(bytes)) {
    case ImageFormat::kJpeg: return detail::decode_jpeg(bytes, name, limits);
    case ImageFormat::kPng: return detail::decode_png(bytes, name, limits);
    case ImageFormat::kTiff: return detail::decode_tiff(bytes, name, limits);
    case ImageFormat::kBmp: return detail::decode_bmp(bytes, name, limits);
    default: break;
  }
  throw Error(ErrorKind::kBadImage, name + ": not an image aoi can read (expected JPEG, PNG, TIFF or BMP)");
}

void require_regular_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  require(std::filesystem::exists(status), ErrorKind::kIo, name, "no such file");
  require(!std::filesystem::is_directory(status), ErrorKind::kIo, name, "is a folder, not a file");
  require(std::filesystem::is_regular_file(status), ErrorKind::kIo, name, "not a regular file");
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::int64_t max_bytes) {
  const std::string name = path.string();
  require_regular_file(path);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  require(!ec, ErrorKind::kIo, name, "cannot read file size: " + ec.message());
  require(static_cast<std::int64_t>(size) <= max_bytes, ErrorKind::kIo, name,
          "file has " + std::to_string(size) + " bytes, over the limit of " + std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  require(in.good(), ErrorKind::kIo, name, std::string("cannot open: ") + std::strerror(errno));
  std::vector<std::uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  require(in.gcount() == static_cast<std::streamsize>(size), ErrorKind::kIo, name, "short read");
  return bytes;
}

Image read_image(const std::filesystem::path& path, const ImageLimits& limits) {
  const auto bytes = read_file(path, limits.max_file_bytes);
  return decode_image(bytes, path.string(), limits);
}

}  // namespace aoi::io
