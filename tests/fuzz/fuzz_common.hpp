// Shared by the libFuzzer targets: aoi::Error is the expected answer to bad
// input; any other exception, a crash, a leak, a timeout or an allocation
// over the RSS limit is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include <unistd.h>

#include "core/require.hpp"

namespace aoi::fuzz {

inline std::span<const std::uint8_t> bytes(const std::uint8_t* data, std::size_t size) { return {data, size}; }

// A scratch folder of this process, for parsers that read files; removed
// when the fuzzer exits normally (libFuzzer calls exit()), by this process
// only.
inline const std::filesystem::path& scratch() {
  static const pid_t owner = getpid();
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("aoi_fuzz_" + std::to_string(owner));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      // The path again, not `dir`: static objects are gone by now. No
      // exception may leave an exit handler.
      const auto temp = std::filesystem::temp_directory_path(ignored);
      if (getpid() == owner && !ignored)
        std::filesystem::remove_all(temp / ("aoi_fuzz_" + std::to_string(owner)), ignored);
    });
    return d;
  }();
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
