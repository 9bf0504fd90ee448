// Content-addressed image archive: each distinct image is one file,
// DIR/<first two hex digits>/<SHA-256 in hex>, written atomically and
// durably (io/atomic_file.hpp) before any row refers to it, and never
// rewritten: the same bytes posted twice are stored once.
//
// put() holds a shared lock on DIR/.lock and remove_unreferenced() an
// exclusive one, across processes (flock): a removal never interleaves with
// a put() that found the file and refreshed its time, and since it skips
// files touched in the last minutes, an image whose row is about to commit
// stays.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace aoi::store {

std::string sha256_hex(std::span<const std::uint8_t> bytes);

class ImageArchive {
 public:
  explicit ImageArchive(std::filesystem::path dir);
  // Stores the bytes (unless already there: then it only refreshes the
  // file's time, which prune reads) and returns their SHA-256.
  std::string put(std::span<const std::uint8_t> bytes);
  std::vector<std::uint8_t> get(const std::string& sha256) const;  // throws kIo when absent
  std::filesystem::path path_of(const std::string& sha256) const;
  bool contains(const std::string& sha256) const;
  // Removes temporary files a crash left behind (never referenced by a row).
  std::size_t remove_leftovers();
  // Removes archived images whose hash is not in `keep` and that were last
  // written or reused (put() of the same bytes) before `older_than`.
  std::size_t remove_unreferenced(const std::set<std::string>& keep, std::filesystem::file_time_type older_than);

 private:
  void sync_subfolder(const std::filesystem::path& folder);

  std::filesystem::path dir_;
  std::mutex synced_mutex_;
  std::set<std::string> synced_;  // subfolders whose entry in DIR is known to be on disk
};

}  // namespace aoi::store
