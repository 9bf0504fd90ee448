// The API keys of `aoi serve`: a file with one key per line (blank lines and
// lines starting with '#' ignored). A presented key is compared with every
// key by SHA-256 digest in constant time, so neither the time taken nor an
// early exit tells an attacker how much of a key was right.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace aoi::serve {

class ApiKeys {
 public:
  static constexpr std::size_t kMinLength = 16;
  // Throws aoi::Error naming the file and line: unreadable, no keys, a key
  // shorter than kMinLength or with spaces inside.
  static ApiKeys load(const std::filesystem::path& file);
  bool accepts(std::string_view key) const;
  // The key of an "Authorization: Bearer KEY" header value, or empty.
  static std::string_view bearer(std::string_view authorization);
  std::size_t size() const { return digests_.size(); }

 private:
  std::vector<std::array<std::uint8_t, 32>> digests_;
};

}  // namespace aoi::serve
