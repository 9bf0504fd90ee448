#include "pipeline/feature_cache.hpp"

#include "aoi/error.hpp"
#include "io/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

namespace aoi::pipeline {
namespace {

constexpr char kMagic[8] = {'A', 'O', 'I', 'F', 'E', 'A', 'T', '1'};

// An entry: magic, key (16 bytes), feature count, XXH3-64 of the values, values.
struct EntryHeader {
  char magic[8];
  std::uint64_t key_low, key_high;
  std::uint64_t count;
  std::uint64_t values_hash;
};
static_assert(sizeof(EntryHeader) == 40);

}  // namespace

std::string FeatureKey::hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

std::uint64_t content_hash(std::span<const std::uint8_t> bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

FeatureKey feature_key(std::uint64_t image_hash, const std::optional<image::Roi>& roi, image::ResizePolicy policy,
                       std::uint64_t feature_identity, int feature_dim) {
  // A fixed little record; bump the version string when feature semantics change.
  struct {
    char version[16];
    std::uint64_t image, weights;
    std::int32_t has_roi, x, y, w, h, policy, dim;
  } record;
  std::memset(&record, 0, sizeof record);
  std::strcpy(record.version, "aoi-features-2");
  record.image = image_hash;
  record.weights = feature_identity;
  record.has_roi = roi.has_value();
  if (roi) record.x = roi->x, record.y = roi->y, record.w = roi->width, record.h = roi->height;
  record.policy = int(policy);
  record.dim = feature_dim;
  const auto h = XXH3_128bits(&record, sizeof record);
  return {h.low64, h.high64};
}

std::filesystem::path FeatureCache::default_dir() {
  if (const char* dir = std::getenv("AOI_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "aoi" / "features";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".cache" / "aoi" / "features";
}

std::filesystem::path FeatureCache::entry(const FeatureKey& key) const {
  const auto hex = key.hex();
  return dir_ / hex.substr(0, 2) / (hex + ".f32");
}

bool decode_cache_entry(std::span<const std::uint8_t> bytes, const FeatureKey& key, std::span<float> out) {
  EntryHeader header;
  if (bytes.size() != sizeof header + out.size_bytes()) return false;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0 || header.key_low != key.low ||
      header.key_high != key.high || header.count != out.size())
    return false;
  if (!out.empty()) std::memcpy(out.data(), bytes.data() + sizeof header, out.size_bytes());
  return XXH3_64bits(out.data(), out.size_bytes()) == header.values_hash;
}

bool FeatureCache::load(const FeatureKey& key, std::span<float> out) const {
  std::ifstream in(entry(key), std::ios::binary);
  if (!in) return false;
  // An entry is exactly a header and the values: read at most that and one byte more.
  std::vector<std::uint8_t> bytes(sizeof(EntryHeader) + out.size_bytes() + 1);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  bytes.resize(std::size_t(in.gcount()));
  return decode_cache_entry(bytes, key, out);
}

bool FeatureCache::store(const FeatureKey& key, std::span<const float> features) const {
  const auto final_path = entry(key);
  std::error_code ec;
  std::filesystem::create_directories(final_path.parent_path(), ec);
  if (ec) return false;
  EntryHeader header;
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.key_low = key.low;
  header.key_high = key.high;
  header.count = features.size();
  header.values_hash = XXH3_64bits(features.data(), features.size_bytes());
  std::string bytes(reinterpret_cast<const char*>(&header), sizeof header);
  bytes.append(reinterpret_cast<const char*>(features.data()), features.size_bytes());
  // An entry is checked against its hash when read, so a crash can at worst
  // lose it: no fsync per entry (io::Durability::kRenameOnly).
  try {
    io::write_file_atomically(final_path, bytes, io::Durability::kRenameOnly);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace aoi::pipeline
