#include "store/image_archive.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include <openssl/evp.h>

#include "aoi/error.hpp"
#include "io/atomic_file.hpp"

namespace aoi::store {
namespace fs = std::filesystem;

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw Error(ErrorKind::kIo, "sha256: OpenSSL failed");
  static const char* hex = "0123456789abcdef";
  std::string out(std::size_t(length) * 2, '0');
  for (unsigned i = 0; i < length; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  return out;
}

namespace {

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// flock on DIR/.lock: shared for put(), exclusive for removals.
class ArchiveLock {
 public:
  ArchiveLock(const fs::path& dir, int mode) {
    const fs::path file = dir / ".lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorKind::kIo, file.string() + ": cannot open the archive lock");
    while (::flock(fd_, mode) != 0)
      if (errno != EINTR) {
        ::close(fd_);
        throw Error(ErrorKind::kIo, file.string() + ": cannot lock the archive");
      }
  }
  ~ArchiveLock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

}  // namespace

ImageArchive::ImageArchive(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_))
    throw Error(ErrorKind::kIo, dir_.string() + ": cannot create the image archive folder: " + ec.message());
}

fs::path ImageArchive::path_of(const std::string& sha256) const {
  if (!is_sha256_hex(sha256)) throw Error(ErrorKind::kInvalidArgument, "'" + sha256 + "' is not a SHA-256 in hex");
  return dir_ / sha256.substr(0, 2) / sha256;
}

bool ImageArchive::contains(const std::string& sha256) const {
  std::error_code ec;
  return fs::is_regular_file(path_of(sha256), ec);
}

// The subfolder's entry in DIR must be on disk before a row refers to an
// image inside: whoever created it (this process, another thread, another
// process) may not have synced DIR yet, so each process does once.
void ImageArchive::sync_subfolder(const fs::path& folder) {
  const std::string name = folder.filename().string();
  {
    std::lock_guard lock(synced_mutex_);
    if (synced_.count(name)) return;
  }
  io::sync_folder(dir_);
  std::lock_guard lock(synced_mutex_);
  synced_.insert(name);
}

std::string ImageArchive::put(std::span<const std::uint8_t> bytes) {
  const std::string hash = sha256_hex(bytes);
  const fs::path path = path_of(hash), folder = path.parent_path();
  ArchiveLock lock(dir_, LOCK_SH);
  std::error_code ec;
  // The file only ever appears complete (rename), so one of the right size is
  // these bytes: the name is their hash. Its time is refreshed (prune keeps
  // recent files), and its folder synced: a concurrent writer of the same
  // bytes may have renamed it in without its folder sync done yet.
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == bytes.size()) {
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
    if (!ec) {
      io::sync_folder(folder);
      sync_subfolder(folder);
      return hash;
    }
  }
  if (!fs::is_directory(folder, ec)) {
    fs::create_directories(folder, ec);
    if (ec) throw Error(ErrorKind::kIo, folder.string() + ": cannot create: " + ec.message());
  }
  sync_subfolder(folder);
  io::write_file_atomically(path, bytes, io::Durability::kDurable);
  return hash;
}

std::vector<std::uint8_t> ImageArchive::get(const std::string& sha256) const {
  const fs::path path = path_of(sha256);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kIo, path.string() + ": archived image is missing");
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::size_t ImageArchive::remove_unreferenced(const std::set<std::string>& keep, fs::file_time_type older_than) {
  ArchiveLock lock(dir_, LOCK_EX);
  std::size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file(ec) || !is_sha256_hex(name) || keep.count(name)) continue;
    const auto written = fs::last_write_time(it->path(), ec);
    if (!ec && written < older_than && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

std::size_t ImageArchive::remove_leftovers() {
  ArchiveLock lock(dir_, LOCK_EX);  // not a temporary another process is writing now
  std::size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && name.find(".tmp-") != std::string::npos && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace aoi::store
