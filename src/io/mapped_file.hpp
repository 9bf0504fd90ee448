// A whole file mapped read-only, for parsers that read a file once: its
// pages come from the page cache, so reading a bundle of megabytes costs no
// fresh memory (a copy into the heap faults in and zeroes every page
// first, which on some virtual machines costs more than the parsing). A
// file that shrinks while mapped raises SIGBUS at a read of a lost page:
// read it under weights::detail::read_mapped, which turns that into a
// result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

namespace aoi::io {

class MappedFile {
 public:
  // Refuses what read_file refuses (no such file, a folder, not a regular
  // file, over max_bytes) with the same aoi::Error naming the path.
  static MappedFile open(const std::filesystem::path& path, std::int64_t max_bytes);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedFile() = default;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  void* mapping_ = nullptr;  // null for an empty file
};

}  // namespace aoi::io
