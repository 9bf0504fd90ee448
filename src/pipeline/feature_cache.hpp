// A content-addressed store of trunk features, so that a second run over the
// same images does no trunk work. The key covers everything the features
// depend on: the image file's bytes, the region, the resize policy and the
// features' identity (Engine::feature_identity: weights, preprocessing,
// architecture and aoi's feature version). One small file per entry under
// <dir>/<2 hex>/<32 hex>.f32, written to a temporary name and renamed, so
// concurrent runs and interrupted runs never leave a half entry behind; a
// damaged entry (wrong size or checksum) reads as a miss.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "image/preprocess.hpp"

namespace aoi::pipeline {

struct FeatureKey {
  std::uint64_t low = 0, high = 0;
  std::string hex() const;
};

FeatureKey feature_key(std::uint64_t image_hash, const std::optional<image::Roi>& roi, image::ResizePolicy policy,
                       std::uint64_t feature_identity, int feature_dim);

// XXH3-64 of a file's bytes, as feature_key expects.
std::uint64_t content_hash(std::span<const std::uint8_t> bytes);

// Checks and decodes one entry's bytes: true, with `out` filled, only for an
// entry of this key with out.size() values whose checksum holds.
bool decode_cache_entry(std::span<const std::uint8_t> bytes, const FeatureKey& key, std::span<float> out);

class FeatureCache {
 public:
  explicit FeatureCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // $AOI_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/aoi/features.
  static std::filesystem::path default_dir();

  const std::filesystem::path& dir() const { return dir_; }
  // Fills `out` and returns true on a hit; false on a miss or a damaged entry.
  bool load(const FeatureKey& key, std::span<float> out) const;
  // Best effort: returns false (and leaves no partial file) if it cannot write.
  bool store(const FeatureKey& key, std::span<const float> features) const;

 private:
  std::filesystem::path entry(const FeatureKey& key) const;
  std::filesystem::path dir_;
};

}  // namespace aoi::pipeline
