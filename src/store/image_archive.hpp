// Content-addressed image archive: each distinct image is one file,
// DIR/<first two hex digits>/<SHA-256 in hex>, written atomically and
// durably (io/atomic_file.hpp) before any row refers to it, and never
// rewritten: the same bytes posted twice are stored once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace aoi::store {

std::string sha256_hex(std::span<const std::uint8_t> bytes);

class ImageArchive {
 public:
  explicit ImageArchive(std::filesystem::path dir);
  // Stores the bytes (unless already there) and returns their SHA-256.
  std::string put(std::span<const std::uint8_t> bytes);
  std::vector<std::uint8_t> get(const std::string& sha256) const;  // throws kIo when absent
  std::filesystem::path path_of(const std::string& sha256) const;
  bool contains(const std::string& sha256) const;
  // Removes temporary files a crash left behind (never referenced by a row).
  std::size_t remove_leftovers();

 private:
  std::filesystem::path dir_;
};

}  // namespace aoi::store
