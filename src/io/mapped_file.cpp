#include "io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "core/require.hpp"
#include "io/image.hpp"

namespace aoi::io {

MappedFile MappedFile::open(const std::filesystem::path& path, std::int64_t max_bytes) {
  const std::string name = path.string();
  require_regular_file(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  require(fd >= 0, ErrorKind::kIo, name, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  const bool stated = ::fstat(fd, &st) == 0;
  const int stat_errno = errno;
  if (!stated || st.st_size > max_bytes) ::close(fd);
  require(stated, ErrorKind::kIo, name, std::string("cannot read file size: ") + std::strerror(stat_errno));
  require(st.st_size <= max_bytes, ErrorKind::kIo, name,
          "file has " + std::to_string(st.st_size) + " bytes, over the limit of " + std::to_string(max_bytes));
  MappedFile file;
  file.size_ = std::size_t(st.st_size);
  if (file.size_ > 0) {
    // Pages come from the page cache: a write to the file in place shows
    // through, and a read of a page it has lost by shrinking raises SIGBUS,
    // so parsers read under weights::detail::read_mapped. aoi itself only
    // ever replaces files by rename.
    void* map = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    const int map_errno = errno;
    ::close(fd);
    // No address space left is running out of memory, as reading the file
    // into the heap would have been (the C API's AOI_ERR_MEMORY).
    if (map == MAP_FAILED && map_errno == ENOMEM) throw std::bad_alloc();
    require(map != MAP_FAILED, ErrorKind::kIo, name, std::string("cannot map: ") + std::strerror(map_errno));
    file.mapping_ = map;
    file.data_ = static_cast<const std::uint8_t*>(map);
  } else {
    ::close(fd);
  }
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (mapping_) ::munmap(mapping_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (mapping_) ::munmap(mapping_, size_);
}

}  // namespace aoi::io
