#include "nn/pack_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

#include "core/parallel.hpp"
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
  std::uint64_t content_hash;  // of every byte after the header: XXH3-64 of the chunks' XXH3-64s
  std::uint64_t total_bytes;
  std::uint64_t unused[2];
};
static_assert(sizeof(Header) == 64);

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// The content is hashed in chunks, which threads hash side by side when a
// pack is opened (hashing a whole trunk's weights was much of a cold start);
// the content hash is the hash of the chunks' hashes, in order.
constexpr std::size_t kHashChunk = std::size_t(4) << 20;

// The content hash of bytes streamed in pieces, as write() makes them.
class ChunkedHash {
 public:
  ChunkedHash() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~ChunkedHash() { XXH3_freeState(state_); }
  ChunkedHash(const ChunkedHash&) = delete;
  ChunkedHash& operator=(const ChunkedHash&) = delete;
  void update(const std::uint8_t* data, std::size_t bytes) {
    while (bytes > 0) {
      const std::size_t take = std::min(bytes, kHashChunk - in_chunk_);
      XXH3_64bits_update(state_, data, take);
      data += take, bytes -= take, in_chunk_ += take;
      if (in_chunk_ == kHashChunk) finish_chunk();
    }
  }
  std::uint64_t digest() {
    if (in_chunk_ > 0) finish_chunk();
    return XXH3_64bits(chunks_.data(), chunks_.size() * sizeof(std::uint64_t));
  }

 private:
  void finish_chunk() {
    chunks_.push_back(XXH3_64bits_digest(state_));
    XXH3_64bits_reset(state_);
    in_chunk_ = 0;
  }
  XXH3_state_t* state_;
  std::size_t in_chunk_ = 0;
  std::vector<std::uint64_t> chunks_;
};

// The same hash of mapped bytes, its chunks hashed in parallel; false if a
// read faulted (the file shrank under the mapping).
bool content_hash_of(const std::uint8_t* data, std::size_t bytes, std::uint64_t& hash) {
  const std::size_t count = (bytes + kHashChunk - 1) / kHashChunk;
  std::vector<std::uint64_t> chunks(count);
  std::vector<char> ok(count, 0);
  par::for_each_index(0, int(count), [&](int i) {
    const std::size_t begin = std::size_t(i) * kHashChunk;
    ok[std::size_t(i)] = weights::detail::guarded_hash(data + begin, std::min(kHashChunk, bytes - begin), chunks[std::size_t(i)]);
  });
  if (std::find(ok.begin(), ok.end(), 0) != ok.end()) return false;
  hash = XXH3_64bits(chunks.data(), chunks.size() * sizeof(std::uint64_t));
  return true;
}

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
  if (!content_hash_of(bytes + sizeof h, file.size_ - sizeof h, hash) || hash != h.content_hash) return std::nullopt;
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
  ChunkedHash hash;
  hash.update(head.data() + sizeof(Header), head.size() - sizeof(Header));
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(buffers[i].data()),
                                             buffers[i].size_bytes());
    const std::size_t next = i + 1 < buffers.size() ? offsets[i + 1] : end;
    const std::span<const std::uint8_t> pad(zeros, next - offsets[i] - data.size());
    pieces.push_back(data), pieces.push_back(pad);
    hash.update(data.data(), data.size());
    hash.update(pad.data(), pad.size());
  }
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.format = kFormatVersion;
  h.identity = identity;
  h.count = counts.size();
  h.content_hash = hash.digest();
  h.total_bytes = end;
  std::memcpy(head.data(), &h, sizeof h);
  // A cache entry: verified when read and cheap to make again, so no fsync.
  io::write_pieces_atomically(path, pieces, io::Durability::kRenameOnly);
}

}  // namespace aoi::nn
