#include "anomaly/memory_bank.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/base64.hpp"
#include "core/parallel.hpp"
#include "core/require.hpp"
#include "kernels/cpu.hpp"

namespace aoi::anomaly {
namespace {

constexpr int kChunk = 1024;     // bank points per GEMM
constexpr int kBlockRows = 64;   // patches per GEMM: a block of products is kBlockRows x kChunk floats

float squared_norm(const float* v, int dim) {
  float s = 0;
  for (int d = 0; d < dim; ++d) s += v[d] * v[d];
  return s;
}

// The greedy selection measures distances on a few of each patch's
// coordinates: they are themselves random projections (patch_features.hpp),
// so the ranking of distances survives at a quarter of the cost.
constexpr int kSelectDims = 32;
constexpr int kLanes = 16;  // points per step of the distance loop: independent sums
// Four floats: a register on every target (SSE2 in a portable build, NEON),
// so the sums stay in registers; kQuads of them are independent chains.
typedef float Quad __attribute__((vector_size(4 * sizeof(float))));
constexpr int kQuads = kLanes / 4;

// The smallest of n floats, four lanes at a time (a minimum does not depend
// on the order it is taken in).
float row_minimum(const float* row, std::size_t n) {
  Quad m = {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(),
            std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
  std::size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    Quad v;
    std::memcpy(&v, row + j, sizeof v);
    m = v < m ? v : m;
  }
  float b = std::min(std::min(m[0], m[1]), std::min(m[2], m[3]));
  for (; j < n; ++j) b = std::min(b, row[j]);
  return b;
}

void selection_coordinates(const float* patch, int dim, float* out) {
  const int half = dim / 2, take = std::min(kSelectDims / 2, half);
  for (int d = 0; d < take; ++d) out[d] = patch[d], out[take + d] = patch[half + d];
}

// Rows of a rows x dim array, checked before anything is packed.
std::size_t rows_of(std::span<const float> points, int dim) {
  require(dim > 0 && !points.empty() && points.size() % std::size_t(dim) == 0, ErrorKind::kInvalidArgument,
          "memory bank", "points must be a non-empty rows x dim array");
  return points.size() / std::size_t(dim);
}

// Whole points, finite values and a positive scale: the checks of every
// bank read from a bundle.
std::size_t checked_rows(std::size_t bytes, int dim, float scale, const std::string& name) {
  require(dim > 0 && bytes > 0 && bytes % (sizeof(float) * std::size_t(dim)) == 0, ErrorKind::kBadData, name,
          "memory bank size is not a whole number of " + std::to_string(dim) + "-float points");
  require(std::isfinite(scale) && scale > 0, ErrorKind::kBadData, name, "memory bank scale must be positive");
  return bytes / (sizeof(float) * std::size_t(dim));
}

void require_finite(const float* values, std::size_t n, const std::string& name) {
  require(std::all_of(values, values + n, [](float v) { return std::isfinite(v); }), ErrorKind::kBadData, name,
          "memory bank holds a non-finite value");
}

}  // namespace

MemoryBank::MemoryBank(std::vector<float> points, int dim, float scale)
    : MemoryBank(rows_of(points, dim), dim, scale, [&points, dim](std::size_t start, std::size_t count, float* out) {
        std::memcpy(out, points.data() + start * dim, count * dim * sizeof(float));
      }) {}

MemoryBank::MemoryBank(std::size_t rows, int dim, float scale, const Filler& fill)
    : size_(rows), dim_(dim), scale_(scale) {
  require(dim > 0 && rows > 0, ErrorKind::kInvalidArgument, "memory bank",
          "points must be a non-empty rows x dim array");
  require(std::isfinite(scale) && scale > 0, ErrorKind::kInvalidArgument, "memory bank", "scale must be positive");
  auto chunks = std::make_shared<std::vector<kernels::PackedConv>>();
  const kernels::Isa isa = kernels::best_isa();
  std::vector<float> weights, norms;
  for (std::size_t start = 0; start < rows; start += kChunk) {
    const std::size_t cols = std::min<std::size_t>(kChunk, rows - start);
    weights.resize(cols * dim_);
    fill(start, cols, weights.data());
    norms.resize(cols);
    for (std::size_t j = 0; j < cols; ++j) norms[j] = squared_norm(weights.data() + j * dim_, dim_);
    bool finite = true;
    for (float& w : weights) finite &= std::isfinite(w *= -2.0f);  // exact, unless it overflows
    require(finite, ErrorKind::kInvalidArgument, "memory bank", "points must be finite and under half FLT_MAX");
    chunks->emplace_back(kernels::ConvSpec{dim_, int(cols), 1, 1, 0}, weights, norms, isa,
                         kernels::ConvAlgorithm::kGemm);
  }
  chunks_ = std::move(chunks);
}

std::vector<float> MemoryBank::points() const {
  std::vector<float> out;
  if (!chunks_) return out;
  out.reserve(size_ * dim_);
  for (const kernels::PackedConv& conv : *chunks_) {
    const std::vector<float> weights = conv.gemm_weights();
    for (float w : weights) out.push_back(w * -0.5f);  // exact: the packing holds -2 x point
  }
  return out;
}

MemoryBank MemoryBank::build(std::span<const float* const> images, int patches_per_image, int dim,
                             const BankParams& params, int threads) {
  require(!images.empty() && patches_per_image > 0, ErrorKind::kInvalidArgument, "memory bank",
          "needs at least one good image");
  require(params.max_points >= 1 && params.sample >= params.max_points, ErrorKind::kInvalidArgument, "memory bank",
          "needs 1 <= max_points <= sample");
  const std::size_t total = images.size() * std::size_t(patches_per_image);
  // The draw: every patch when they are few, else `sample` distinct ones
  // (Floyd's algorithm; mt19937_64 is the same sequence on every platform).
  std::vector<std::uint64_t> drawn;
  if (total <= params.sample) {
    drawn.resize(total);
    for (std::size_t i = 0; i < total; ++i) drawn[i] = i;
  } else {
    std::mt19937_64 rng(params.seed);
    std::vector<std::uint64_t> chosen;
    chosen.reserve(params.sample);
    std::vector<bool> taken(total, false);
    for (std::size_t j = total - params.sample; j < total; ++j) {
      const std::uint64_t t = rng() % (j + 1);
      const std::uint64_t pick = taken[t] ? j : t;
      taken[pick] = true;
      chosen.push_back(pick);
    }
    std::sort(chosen.begin(), chosen.end());
    drawn = std::move(chosen);
  }
  const std::size_t n = drawn.size();
  auto patch = [&](std::size_t i) {
    const std::uint64_t g = drawn[i];
    return images[g / patches_per_image] + (g % patches_per_image) * std::size_t(dim);
  };
  // In blocks of kLanes points, coordinate-major within a block: the
  // distance loop below then runs across points, which vectorises, and
  // reads one stream; each point's sum is still in order of k (the same
  // arithmetic as a point-by-point loop).
  const std::size_t padded = (n + kLanes - 1) / kLanes * kLanes;
  auto at = [](std::size_t i, int k) { return i / kLanes * (kLanes * kSelectDims) + std::size_t(k) * kLanes + i % kLanes; };
  std::vector<float> select(padded * kSelectDims, 0.0f);
  {
    float row[kSelectDims] = {};
    for (std::size_t i = 0; i < n; ++i) {
      selection_coordinates(patch(i), dim, row);
      for (int k = 0; k < kSelectDims; ++k) select[at(i, k)] = row[k];
    }
  }

  const std::size_t keep = std::min(params.max_points, n);
  std::vector<float> min_distance(n, std::numeric_limits<float>::infinity());
  std::vector<std::size_t> centres{0};
  centres.reserve(keep);
  par::Arena arena(threads);
  const std::size_t grain = 4096;
  const std::size_t blocks = (n + grain - 1) / grain;
  std::vector<std::pair<float, std::size_t>> block_best(blocks);
  arena.execute([&] {
    while (centres.size() < keep) {
      float c[kSelectDims];
      for (int k = 0; k < kSelectDims; ++k) c[k] = select[at(centres.back(), k)];
      par::for_each_index(0, int(blocks), [&](int b) {
        std::pair<float, std::size_t> best{-1.0f, 0};
        const std::size_t end = std::min(n, (std::size_t(b) + 1) * grain);
        for (std::size_t i0 = std::size_t(b) * grain; i0 < end; i0 += kLanes) {  // grain: a multiple of kLanes
          const float* x = select.data() + at(i0, 0);
          Quad d[kQuads] = {};
          for (int k = 0; k < kSelectDims; ++k, x += kLanes) {
            for (int q = 0; q < kQuads; ++q) {
              Quad v;
              std::memcpy(&v, x + 4 * q, sizeof v);
              v -= c[k];
              d[q] += v * v;
            }
          }
          const int lanes = int(std::min<std::size_t>(kLanes, end - i0));
          for (int l = 0; l < lanes; ++l) {
            float& m = min_distance[i0 + l];
            m = std::min(m, d[l / 4][l % 4]);
            if (m > best.first) best = {m, i0 + l};
          }
        }
        block_best[b] = best;
      });
      auto next = *std::max_element(block_best.begin(), block_best.end(),
                                    [](const auto& a, const auto& b) { return a.first < b.first; });
      if (next.first <= 0) break;  // every drawn patch already coincides with a centre
      centres.push_back(next.second);
    }
  });
  std::vector<float> points(centres.size() * dim);
  for (std::size_t k = 0; k < centres.size(); ++k) std::memcpy(&points[k * dim], patch(centres[k]), dim * sizeof(float));

  // The scale: twice the median distance from a bank point to its nearest
  // other bank point, over up to 512 of them (a typical good patch's distance).
  const std::size_t rows = centres.size();
  const std::size_t probe = std::min<std::size_t>(rows, 512);
  std::vector<float> nn(probe);
  float scale = 1;
  if (rows > 1) {
    for (std::size_t i = 0; i < probe; ++i) {
      const float* p = points.data() + i * dim;
      float best = std::numeric_limits<float>::infinity();
      for (std::size_t j = 0; j < rows; ++j) {
        if (j == i) continue;
        const float* q = points.data() + j * dim;
        float d = 0;
        for (int k = 0; k < dim; ++k) d += (p[k] - q[k]) * (p[k] - q[k]);
        best = std::min(best, d);
      }
      nn[i] = std::sqrt(best);
    }
    std::nth_element(nn.begin(), nn.begin() + probe / 2, nn.end());
    scale = 2 * nn[probe / 2];
  }
  if (!(scale > 0) || !std::isfinite(scale)) scale = 1;
  return MemoryBank(std::move(points), dim, scale);
}

float MemoryBank::nearest(const float* patches, int count, float* distances, std::vector<float>& scratch) const {
  require(dim_ > 0 && chunks_, ErrorKind::kInvalidArgument, "memory bank", "empty bank");
  if (count <= 0) return 0;  // no patches: nothing is far (the GEMM needs a row)
  const std::size_t m = size();
  const std::size_t chunk = std::min<std::size_t>(m, kChunk);
  // Per block of patches and chunk of the bank, |p|^2 - 2 p.q (rows x
  // chunk) and its running minimum; adding |q|^2 at the end gives the
  // squared distance. Blocks of kBlockRows keep the products in L2 and the
  // scratch small, whatever the patch count: each product is the same sum
  // in any block.
  const int block_rows = std::min(count, kBlockRows);
  const std::size_t need = std::size_t(block_rows) * chunk + 2 * std::size_t(count);
  if (scratch.size() < need) scratch.resize(need);
  float* product = scratch.data();
  float* best = product + std::size_t(block_rows) * chunk;
  float* qnorm = best + count;
  for (int i = 0; i < count; ++i) {
    best[i] = std::numeric_limits<float>::infinity();
    qnorm[i] = squared_norm(patches + std::size_t(i) * dim_, dim_);
  }
  for (int r0 = 0; r0 < count; r0 += block_rows) {
    const int rows = std::min(block_rows, count - r0);
    for (const kernels::PackedConv& conv : *chunks_) {
      const std::size_t cols = std::size_t(conv.spec().out_channels);
      // Isolated: callers keep `scratch` per thread across this call.
      par::isolated(
          [&] { conv.forward(patches + std::size_t(r0) * dim_, rows, 1, product, nullptr, false, kernels::Scratch{}); });
      for (int i = 0; i < rows; ++i) {
        const float* row = product + std::size_t(i) * cols;
        best[r0 + i] = std::min(best[r0 + i], row_minimum(row, cols));
      }
    }
  }
  float worst = 0;
  for (int i = 0; i < count; ++i) {
    const float d = std::sqrt(std::max(0.0f, best[i] + qnorm[i]));
    if (distances) distances[i] = d;
    worst = std::max(worst, d);
  }
  return worst;
}

std::string MemoryBank::to_bytes() const {
  static_assert(std::endian::native == std::endian::little, "bundles store little-endian floats");
  const std::vector<float> p = points();
  return std::string(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(float));
}

MemoryBank MemoryBank::from_bytes(std::string_view bytes, int dim, float scale, const std::string& name) {
  return MemoryBank(checked_rows(bytes.size(), dim, scale, name), dim, scale,
                    [&](std::size_t start, std::size_t count, float* out) {
                      const std::size_t row_bytes = sizeof(float) * std::size_t(dim);
                      std::memcpy(out, bytes.data() + start * row_bytes, count * row_bytes);
                      require_finite(out, count * dim, name);
                    });
}

MemoryBank MemoryBank::from_base64(std::string_view base64, int dim, float scale, const std::string& name) {
  // A chunk's points decoded from the groups of four characters that hold
  // them: whole groups into `raw`, then its bytes into the chunk. Nothing
  // the size of the bank is ever held besides the bank itself.
  std::vector<std::uint8_t> raw;
  return MemoryBank(checked_rows(base64_decoded_size(base64, name), dim, scale, name), dim, scale,
                    [&](std::size_t start, std::size_t count, float* out) {
                      const std::size_t row_bytes = sizeof(float) * std::size_t(dim);
                      const std::size_t first = start * row_bytes, last = first + count * row_bytes;
                      const std::size_t g0 = first / 3, g1 = std::min((last + 2) / 3, base64.size() / 4);
                      const std::string_view groups = base64.substr(4 * g0, 4 * (g1 - g0));
                      raw.resize(base64_decoded_size(groups, name));
                      base64_decode_into(groups, raw, name, 4 * g0);
                      // Short only where a group before the text's last one
                      // ends in padding: damage, as base64_decode would say.
                      require(raw.size() >= first - 3 * g0 + count * row_bytes, ErrorKind::kBadData, name,
                              "padding inside the base64 text");
                      std::memcpy(out, raw.data() + (first - 3 * g0), count * row_bytes);
                      require_finite(out, count * dim, name);
                    });
}

float anomaly_score(std::span<const MemoryBank> banks, const float* patches, int count, int skip, float* distances,
                    std::vector<float>& scratch) {
  require(!banks.empty(), ErrorKind::kInvalidArgument, "anomaly score", "no memory bank");
  double total = 0;
  int used = 0;
  std::vector<float> own;
  if (distances) std::fill(distances, distances + count, 0.0f), own.resize(count);
  for (int b = 0; b < int(banks.size()); ++b) {
    if (b == skip && banks.size() > 1) continue;
    const float worst = banks[b].nearest(patches, count, distances ? own.data() : nullptr, scratch);
    total += banks[b].fail_score(worst);
    ++used;
    if (distances)
      for (int i = 0; i < count; ++i) distances[i] += own[i];
  }
  if (distances)
    for (int i = 0; i < count; ++i) distances[i] /= float(used);
  return float(total / used);
}

}  // namespace aoi::anomaly
