// Shared by the libFuzzer targets: aoi::Error is the expected answer to bad
// input; any other exception, a crash, a leak, a timeout or an allocation
// over the RSS limit is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>


#include "core/require.hpp"
#include "support/scratch_dir.hpp"

namespace aoi::fuzz {

inline std::span<const std::uint8_t> bytes(const std::uint8_t* data, std::size_t size) { return {data, size}; }

// A scratch folder of this process, for parsers that read files; removed
// when the fuzzer exits normally (libFuzzer calls exit()).
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = test::process_scratch("aoi_fuzz");
  return dir;
}

inline std::filesystem::path write_file(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const auto path = scratch() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  return path;
}

// Runs f; aoi::Error is fine, everything else propagates to libFuzzer.
template <class F>
int expect_error_or_success(F f) {
  try {
    f();
  } catch (const aoi::Error&) {
  }
  return 0;
}

}  // namespace aoi::fuzz
