// Access to ../shared/reference (golden ResNet-50 outputs, float64-computed).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace aoi::test {

inline std::filesystem::path reference_dir() { return std::filesystem::path(AOI_SHARED_DIR) / "reference"; }

inline nlohmann::json reference_manifest() {
  std::ifstream in(reference_dir() / "golden" / "manifest.json");
  if (!in) return nlohmann::json();
  return nlohmann::json::parse(in);
}

inline std::vector<float> read_f32(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::vector<float> v(std::size_t(in.tellg()) / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * 4));
  return v;
}

}  // namespace aoi::test

// Skips when the shared reference data is absent, unless CI demands it.
#define AOI_REQUIRE_REFERENCE()                                                              \
  do {                                                                                       \
    if (!std::filesystem::exists(::aoi::test::reference_dir() / "golden/manifest.json")) {  \
      if (std::getenv("AOI_REQUIRE_REFERENCE")) FAIL() << "no ../shared/reference";         \
      GTEST_SKIP() << "no ../shared/reference beside the checkout";                          \
    }                                                                                        \
  } while (0)
