// NumPy .npy files of little-endian float32, the interchange format for
// feature matrices (N x D) between aoi and other tools.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace aoi::io {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // C order
};

// Writes values (C order) with the given shape as '<f4'.
void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const float* values);

// Reads a C-order array of <f4, <f8, <i4, <i8, |u1, |i1 or |b1, converted to
// float32 (labels often come as integers); Fortran order is refused.
NpyArray read_npy(const std::filesystem::path& path);
// The same on bytes in memory; `name` prefixes errors.
NpyArray parse_npy(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace aoi::io
