// The memory bank of anomaly mode: a coreset of the patch descriptors of good
// parts (anomaly/patch_features.hpp), and the nearest-neighbour search that
// scores a new image against it: an image is as anomalous as its least
// familiar patch (the PatchCore idea).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/packed_conv.hpp"

namespace aoi::anomaly {

// Every parameter of the bank, declared once with its default and range.
struct BankParams {
  // Points kept by the coreset (>= 1): more remembers more kinds of good
  // patch, and the search costs linearly more per image.
  std::size_t max_points = 4096;
  // Patches drawn at random from all good images before the greedy coreset
  // (>= max_points): bounds the selection's cost on large training sets.
  std::size_t sample = 32768;
  std::uint64_t seed = 0x5eed;  // of the draw; the same inputs give the same bank
};

class MemoryBank {
 public:
  MemoryBank() = default;
  // points: rows x dim; scale > 0 (see fail_score).
  MemoryBank(std::vector<float> points, int dim, float scale);

  // Greedy k-center coreset (each new point the one farthest from those
  // chosen) of the patches of `images`, each `patches_per_image` x dim
  // floats, run on `threads` threads (0: all cores).
  static MemoryBank build(std::span<const float* const> images, int patches_per_image, int dim,
                          const BankParams& params, int threads);

  std::size_t size() const { return chunks_ ? size_ : 0; }  // 0 once moved from
  int dim() const { return dim_; }
  float scale() const { return scale_; }
  // The points, size() x dim, unpacked from the search's GEMM (the bank
  // keeps that form alone: one copy in memory, not two).
  std::vector<float> points() const;

  // Euclidean distance of each of `count` patches to its nearest bank point
  // into `distances` (count floats; may be null); returns the largest.
  // `scratch` grows once to its working size and may be the calling
  // thread's own across a parallel loop. The products run on aoi's GEMM
  // kernels for this CPU, in parallel where the caller is not already in a
  // loop; results do not depend on the thread count.
  float nearest(const float* patches, int count, float* distances, std::vector<float>& scratch) const;

  // An image's largest patch distance mapped monotonically into [0, 1):
  // d / (d + scale), scale being twice the median distance between
  // neighbouring bank points. A rank, not a probability.
  float fail_score(float max_distance) const { return max_distance / (max_distance + scale_); }

  // Little-endian float32 points, as bundles store them (base64).
  std::string to_bytes() const;
  static MemoryBank from_bytes(std::string_view bytes, int dim, float scale, const std::string& name);
  // The same from their base64 (a bundle's "f32_base64"), decoded a chunk of
  // points at a time into the packing: the whole bank is never held twice.
  static MemoryBank from_base64(std::string_view base64, int dim, float scale, const std::string& name);

 private:
  // Packs `rows` points, asking `fill(start, count, out)` for count x dim
  // floats of points from `start` on, one chunk at a time.
  using Filler = std::function<void(std::size_t start, std::size_t count, float* out)>;
  MemoryBank(std::size_t rows, int dim, float scale, const Filler& fill);
  std::size_t size_ = 0;
  // The search's GEMM, a 1x1 convolution per chunk of points: weights -2 x
  // point, bias the point's squared norm, so it yields |p|^2 - 2 p.q.
  // Shared: a bank is copied with its bundle, and the packing is immutable.
  std::shared_ptr<const std::vector<kernels::PackedConv>> chunks_;
  int dim_ = 0;
  float scale_ = 1;
};

// The anomaly score of one image against several banks (anomaly mode: one;
// combined mode: two halves of the good items): the mean over the banks of
// fail_score, skipping bank `skip` (-1: none), the one an item helped build.
// `distances` (count floats, may be null) receives the per-patch distance
// averaged over the banks used.
float anomaly_score(std::span<const MemoryBank> banks, const float* patches, int count, int skip, float* distances,
                    std::vector<float>& scratch);

}  // namespace aoi::anomaly
