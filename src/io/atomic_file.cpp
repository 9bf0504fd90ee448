#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "aoi/error.hpp"

namespace aoi::io {
namespace {

// The process's umask, read without umask(2), which would change it for a
// moment under other threads.
mode_t current_umask() {
  static const mode_t mask = [] {
    mode_t m = 022;
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
      char line[256];
      unsigned value = 0;
      while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "Umask: %o", &value) == 1) m = mode_t(value);
      std::fclose(f);
    }
    return m;
  }();
  return mask;
}

[[noreturn]] void fail(const std::filesystem::path& path, const char* what, int err) {
  throw Error(ErrorKind::kIo, path.string() + ": " + what + ": " + std::strerror(err));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                           Durability durability) {
  const std::span<const std::uint8_t> pieces[] = {bytes};
  write_pieces_atomically(path, pieces, durability);
}

void write_pieces_atomically(const std::filesystem::path& path, std::span<const std::span<const std::uint8_t>> pieces,
                             Durability durability) {
  if (std::error_code ec; std::filesystem::is_directory(path, ec))
    throw Error(ErrorKind::kIo, path.string() + ": is a folder, not a file");
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string name = ".";
  name.append(path.filename().string()).append(".tmp-XXXXXX");
  std::string temp = (folder / name).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, "cannot create a temporary file beside it", errno);
  auto abandon = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, what, err);
  };
  // mkstemp makes the file 0600; outputs get the usual permissions.
  ::fchmod(fd, 0666 & ~current_umask());
  for (const auto bytes : pieces) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        abandon("write failed", errno);
      }
      done += std::size_t(n);
    }
  }
  if (durability == Durability::kDurable && ::fsync(fd) != 0) abandon("fsync failed", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "close failed", err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "cannot replace the file", err);
  }
  // The rename is durable once the folder's entry is on disk.
  if (durability != Durability::kDurable) return;
  // A failure here is reported: the file is in place but may not survive a
  // power loss, and callers that acknowledge durability must know.
  sync_folder(folder);
}

void sync_folder(const std::filesystem::path& folder) {
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0) fail(folder, "cannot open the folder to sync it", errno);
  const int rc = ::fsync(dir), err = errno;
  ::close(dir);
  if (rc != 0 && err != EINVAL) fail(folder, "cannot sync the folder", err);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text, Durability durability) {
  write_file_atomically(path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                        durability);
}

}  // namespace aoi::io
