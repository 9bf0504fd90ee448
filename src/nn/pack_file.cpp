#include "nn/pack_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

#include "io/atomic_file.hpp"
#include "weights/guarded_read.hpp"

namespace aoi::nn {
namespace {

constexpr char kMagic[8] = {'A', 'O', 'I', 'P', 'A', 'C', 'K', '\0'};
constexpr std::size_t kLine = 64, kPage = 4096;

// The first 64 bytes; a table of `count` float counts follows, then the
// buffers from the next page on, each on a 64-byte line.
struct Header {
  char magic[8];
  std::uint32_t format;
  std::uint32_t reserved;
  std::uint64_t identity;
  std::uint64_t count;
  std::uint64_t content_hash;  // XXH3-64 of every byte after the header
  std::uint64_t total_bytes;
  std::uint64_t unused[2];
};
static_assert(sizeof(Header) == 64);

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// Where each buffer starts and where the file ends, from the float counts;
// false if the counts are absurd (a damaged table).
bool lay_out(std::span<const std::uint64_t> counts, std::vector<std::size_t>& offsets, std::size_t& end) {
  std::size_t at = round_up(sizeof(Header) + counts.size() * sizeof(std::uint64_t), kPage);
  offsets.clear();
  for (std::uint64_t n : counts) {
    if (n > (std::uint64_t(1) << 36)) return false;
    offsets.push_back(at);
    at = round_up(at + n * sizeof(float), kLine);
  }
  end = at;
  return true;
}

}  // namespace

std::filesystem::path pack_dir_from_environment(bool cache_home) {
  if (const char* dir = std::getenv("AOI_PACK_DIR"); dir && *dir)
    return std::string_view(dir) == "off" ? std::filesystem::path() : std::filesystem::path(dir);
  if (!cache_home) return {};
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "aoi" / "packed";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".cache" / "aoi" / "packed";
}

PackFile::PackFile(PackFile&& o) noexcept
    : mapping_(std::exchange(o.mapping_, nullptr)), size_(std::exchange(o.size_, 0)), buffers_(std::move(o.buffers_)) {}
PackFile& PackFile::operator=(PackFile&& o) noexcept {
  if (this != &o) {
    if (mapping_) ::munmap(mapping_, size_);
    mapping_ = std::exchange(o.mapping_, nullptr);
    size_ = std::exchange(o.size_, 0);
    buffers_ = std::move(o.buffers_);
  }
  return *this;
}
PackFile::~PackFile() {
  if (mapping_) ::munmap(mapping_, size_);
}

std::optional<PackFile> PackFile::open(const std::filesystem::path& path, std::uint64_t identity) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || std::size_t(st.st_size) < kPage) {
    ::close(fd);
    return std::nullopt;
  }
  // Read-only, so a stray write through a borrowed buffer faults instead of
  // changing weights; MAP_POPULATE maps every page now, in one call, instead
  // of one fault per page during the first image.
  void* map = ::mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return std::nullopt;
  PackFile file;
  file.mapping_ = map;
  file.size_ = std::size_t(st.st_size);
  const auto* bytes = static_cast<const std::uint8_t*>(map);
  Header h;
  std::memcpy(&h, bytes, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.format != kFormatVersion || h.identity != identity ||
      h.total_bytes != file.size_ || h.count > (file.size_ - sizeof h) / sizeof(std::uint64_t))
    return std::nullopt;
  std::uint64_t hash = 0;
  if (!weights::detail::guarded_hash(bytes + sizeof h, file.size_ - sizeof h, hash) || hash != h.content_hash)
    return std::nullopt;
  std::vector<std::uint64_t> counts(h.count);
  std::memcpy(counts.data(), bytes + sizeof h, counts.size() * sizeof(std::uint64_t));
  std::vector<std::size_t> offsets;
  std::size_t end = 0;
  if (!lay_out(counts, offsets, end) || end != file.size_) return std::nullopt;
  for (std::size_t i = 0; i < counts.size(); ++i)
    file.buffers_.emplace_back(reinterpret_cast<const float*>(bytes + offsets[i]), std::size_t(counts[i]));
  return file;
}

void PackFile::write(const std::filesystem::path& path, std::uint64_t identity,
                     std::span<const std::span<const float>> buffers) {
  std::vector<std::uint64_t> counts;
  for (const auto& b : buffers) counts.push_back(b.size());
  std::vector<std::size_t> offsets;
  std::size_t end = 0;
  lay_out(counts, offsets, end);
  // The header and table, then each buffer with the zeros before it.
  const std::size_t table = sizeof(Header) + counts.size() * sizeof(std::uint64_t);
  std::vector<std::uint8_t> head(offsets.empty() ? round_up(table, kPage) : offsets[0], 0);
  std::memcpy(head.data() + sizeof(Header), counts.data(), counts.size() * sizeof(std::uint64_t));
  static const std::uint8_t zeros[kLine] = {};
  std::vector<std::span<const std::uint8_t>> pieces{head};
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, head.data() + sizeof(Header), head.size() - sizeof(Header));
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(buffers[i].data()),
                                             buffers[i].size_bytes());
    const std::size_t next = i + 1 < buffers.size() ? offsets[i + 1] : end;
    const std::span<const std::uint8_t> pad(zeros, next - offsets[i] - data.size());
    pieces.push_back(data), pieces.push_back(pad);
    XXH3_64bits_update(state, data.data(), data.size());
    XXH3_64bits_update(state, pad.data(), pad.size());
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.format = kFormatVersion;
  h.identity = identity;
  h.count = counts.size();
  h.content_hash = XXH3_64bits_digest(state);
  h.total_bytes = end;
  XXH3_freeState(state);
  std::memcpy(head.data(), &h, sizeof h);
  // A cache entry: verified when read and cheap to make again, so no fsync.
  io::write_pieces_atomically(path, pieces, io::Durability::kRenameOnly);
}

}  // namespace aoi::nn
