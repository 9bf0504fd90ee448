// A trunk's packed weights in a file of their own, written once and then
// mapped read-only by every later process: starting up then neither re-packs
// (the panel layout, the Winograd transforms) nor fills fresh zeroed pages,
// which together were most of a cold start, and processes on one machine
// share one copy in the page cache. Layout: docs/embedding.md, "Pack files".
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace aoi::nn {

// $AOI_PACK_DIR if set ("off": none); else, with `cache_home`,
// ${XDG_CACHE_HOME:-~/.cache}/aoi/packed (the CLI's default), or none (the
// library's, which writes no file it was not asked to).
std::filesystem::path pack_dir_from_environment(bool cache_home);

class PackFile {
 public:
  // Bumped whenever a packed layout changes for the same layer (packed_b_at,
  // the Winograd transform, the buffer order): old files then no longer match.
  static constexpr std::uint32_t kFormatVersion = 2;  // 2: the content hash is of chunk hashes

  // Maps `path` if it holds the pack of `identity`: the right magic, format
  // and identity, a sane table, and a content hash that matches. nullopt if
  // the file is absent, stale, truncated or damaged (it is then rewritten).
  static std::optional<PackFile> open(const std::filesystem::path& path, std::uint64_t identity);
  // Writes the buffers (each starts on a 64-byte line in the file)
  // atomically; throws aoi::Error(kIo) naming the path on failure.
  static void write(const std::filesystem::path& path, std::uint64_t identity,
                    std::span<const std::span<const float>> buffers);

  PackFile(PackFile&&) noexcept;
  PackFile& operator=(PackFile&&) noexcept;
  ~PackFile();

  // Views into the mapping, valid while this object lives.
  std::span<const std::span<const float>> buffers() const { return buffers_; }
  std::size_t bytes() const { return size_; }

 private:
  PackFile() = default;
  void* mapping_ = nullptr;
  std::size_t size_ = 0;
  std::vector<std::span<const float>> buffers_;
};

}  // namespace aoi::nn
