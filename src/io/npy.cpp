// .npy version 1.0 writer and a strict reader for float32 arrays.
#include "io/npy.hpp"

#include <cstring>
#include <fstream>
#include <regex>
#include <string>

#include "core/require.hpp"
#include "io/atomic_file.hpp"
#include "io/image.hpp"

namespace aoi::io {
namespace {
constexpr char kMagic[] = "\x93NUMPY";
}

void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const float* values) {
  std::string dims;
  std::size_t count = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    count *= static_cast<std::size_t>(shape[i]);
  }
  if (shape.size() == 1) dims += ",";  // Python's one-element tuple
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that magic + version + length + header is a multiple of 64.
  const std::size_t unpadded = 6 + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');

  std::string file(kMagic, 6);
  file.push_back(1), file.push_back(0);
  file.push_back(static_cast<char>(header.size() & 0xFF)), file.push_back(static_cast<char>(header.size() >> 8));
  file += header;
  file.append(reinterpret_cast<const char*>(values), count * sizeof(float));
  write_file_atomically(path, file);
}

NpyArray read_npy(const std::filesystem::path& path) {
  const auto bytes = read_file(path, std::int64_t(1) << 40);
  return parse_npy(bytes, path.string());
}

NpyArray parse_npy(std::span<const std::uint8_t> bytes, const std::string& name) {
  auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadData, name + ": not a readable .npy file: " + what); };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) throw bad("missing NUMPY magic");
  const int major = bytes[6];
  std::size_t header_len, header_at;
  if (major == 1) {
    header_len = bytes[8] | bytes[9] << 8, header_at = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw bad("truncated header");
    header_len = bytes[8] | bytes[9] << 8 | bytes[10] << 16 | std::size_t(bytes[11]) << 24, header_at = 12;
  } else {
    throw bad("unknown version " + std::to_string(major));
  }
  if (header_at + header_len > bytes.size()) throw bad("truncated header");
  const std::string header(bytes.begin() + header_at, bytes.begin() + header_at + header_len);

  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']*)')"))) throw bad("no dtype");
  const std::string dtype = m[1];
  const std::size_t item = dtype == "<f4" || dtype == "<i4" ? 4 : dtype == "<f8" || dtype == "<i8" ? 8
                           : dtype == "|u1" || dtype == "|i1" || dtype == "|b1" ? 1 : 0;
  if (item == 0) throw bad("dtype '" + dtype + "' is not one of <f4 <f8 <i4 <i8 |u1 |i1 |b1");
  if (!std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))")) || m[1] != "False")
    throw bad("Fortran order is not supported");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) throw bad("no shape");

  NpyArray array;
  std::size_t count = 1;
  // The tuple: non-negative integers separated by commas (Python writes a
  // trailing one for a single dimension); anything else is refused.
  const std::string dims = m[1];
  std::size_t at = 0;
  while (at < dims.size()) {
    const std::size_t comma = dims.find(',', at);
    std::string field = dims.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    field.erase(0, field.find_first_not_of(" \t"));
    field.erase(field.find_last_not_of(" \t") + 1);
    const bool last = comma == std::string::npos;
    at = last ? dims.size() : comma + 1;
    if (field.empty() && last && !array.shape.empty()) break;  // "(3,)"
    if (field.empty() || field.find_first_not_of("0123456789") != std::string::npos)
      throw bad("shape entry '" + field + "' is not a non-negative integer");
    if (field.size() > 15) throw bad("shape is too large");
    const auto d = std::stoll(field);
    array.shape.push_back(d);
    if (d != 0 && count > (std::size_t(1) << 40) / static_cast<std::size_t>(d)) throw bad("shape is too large");
    count *= static_cast<std::size_t>(d);
  }
  const std::size_t data_at = header_at + header_len;
  if (bytes.size() - data_at != count * item)
    throw bad("data holds " + std::to_string(bytes.size() - data_at) + " bytes, the shape needs " +
              std::to_string(count * item));
  array.values.resize(count);
  const std::uint8_t* p = bytes.data() + data_at;
  // Converted element by element; only float32 is copied as is.
  auto convert = [&](auto tag) {
    using T = decltype(tag);
    for (std::size_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, p + i * sizeof(T), sizeof(T));
      array.values[i] = static_cast<float>(v);
    }
  };
  if (count == 0) return array;  // an empty array: nothing to copy (and no null pointer into memcpy)
  if (dtype == "<f4") std::memcpy(array.values.data(), p, count * 4);
  else if (dtype == "<f8") convert(double{});
  else if (dtype == "<i4") convert(std::int32_t{});
  else if (dtype == "<i8") convert(std::int64_t{});
  else if (dtype == "|i1") convert(std::int8_t{});
  else convert(std::uint8_t{});
  return array;
}

}  // namespace aoi::io
