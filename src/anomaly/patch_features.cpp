#include "anomaly/patch_features.hpp"

#include <algorithm>
#include <cmath>

#include "core/require.hpp"
#include "core/splitmix64.hpp"
#include "reference/gemm.hpp"

namespace aoi::anomaly {
namespace {

// kLayerDim x channels of +-1/sqrt(kLayerDim): E|Rx|^2 = |x|^2.
std::vector<float> projection(int layer, int channels) {
  std::vector<float> r(std::size_t(kLayerDim) * channels);
  const float v = 1.0f / std::sqrt(float(kLayerDim));
  for (std::size_t i = 0; i < r.size(); ++i)
    r[i] = (splitmix64((std::uint64_t(layer) << 40) ^ i) & 1) ? v : -v;
  return r;
}

// Mean over the 3 x 3 neighbourhood inside the grid (the border averages
// fewer cells rather than zeros, so edges do not look anomalous).
void box3(const float* in, int side, float* out) {
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      float sum = 0;
      int count = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= side || xx >= side) continue;
          sum += in[yy * side + xx];
          ++count;
        }
      out[y * side + x] = sum / float(count);
    }
}

// Bilinear weights of output cell i of `out` cells from `in` cells
// (half-pixel centres, as image resizers and PyTorch's align_corners=False).
void bilinear_tap(int i, int in, int out, int& i0, int& i1, float& w1) {
  float src = (float(i) + 0.5f) * float(in) / float(out) - 0.5f;
  src = std::max(src, 0.0f);
  i0 = std::min(int(src), in - 1);
  i1 = std::min(i0 + 1, in - 1);
  w1 = src - float(i0);
}

// Projects a layer (channels x side x side) to kLayerDim planes and pools
// each over 3 x 3 cells; returns the pooled planes (inside scratch).
const float* project_and_pool(const std::vector<float>& r, int channels, const float* layer, int side,
                               float* scratch) {
  const int cells = side * side;
  float* projected = scratch;  // kLayerDim x cells
  float* pooled = scratch + std::size_t(kLayerDim) * cells;
  kernels::sgemm(kernels::GemmBackend::kEigen, kLayerDim, cells, channels, r.data(), channels, layer, cells, projected,
                 cells);
  for (int d = 0; d < kLayerDim; ++d) box3(projected + std::size_t(d) * cells, side, pooled + std::size_t(d) * cells);
  return pooled;
}

}  // namespace

int patch_grid_side(int input_size) {
  int s = input_size;
  for (int i = 0; i < 3; ++i) s = (s + 1) / 2;
  return s;
}

PatchProjector::PatchProjector(int res3_channels, int res4_channels)
    : res3_channels_(res3_channels), res4_channels_(res4_channels), r3_(projection(3, res3_channels)),
      r4_(projection(4, res4_channels)) {
  require(res3_channels > 0 && res4_channels > 0, ErrorKind::kInvalidArgument, "patch features",
          "res3 and res4 need channels");
}

std::size_t PatchProjector::scratch_floats(int side) { return std::size_t(2) * kLayerDim * side * side; }

void PatchProjector::add_res3(const float* res3, int side, float* patches, float* scratch) const {
  const int cells = side * side;
  const float* pooled = project_and_pool(r3_, res3_channels_, res3, side, scratch);
  for (int p = 0; p < cells; ++p)
    for (int d = 0; d < kLayerDim; ++d) patches[std::size_t(p) * kPatchDim + d] = pooled[std::size_t(d) * cells + p];
}

void PatchProjector::add_res4(const float* res4, int s4, int side, float* patches, float* scratch) const {
  const int cells4 = s4 * s4;
  const float* pooled = project_and_pool(r4_, res4_channels_, res4, s4, scratch);
  for (int y = 0; y < side; ++y) {
    int y0, y1;
    float wy;
    bilinear_tap(y, s4, side, y0, y1, wy);
    for (int x = 0; x < side; ++x) {
      int x0, x1;
      float wx;
      bilinear_tap(x, s4, side, x0, x1, wx);
      float* out = patches + (std::size_t(y) * side + x) * kPatchDim + kLayerDim;
      for (int d = 0; d < kLayerDim; ++d) {
        const float* plane = pooled + std::size_t(d) * cells4;
        const float top = plane[y0 * s4 + x0] * (1 - wx) + plane[y0 * s4 + x1] * wx;
        const float bottom = plane[y1 * s4 + x0] * (1 - wx) + plane[y1 * s4 + x1] * wx;
        out[d] = top * (1 - wy) + bottom * wy;
      }
    }
  }
}

}  // namespace aoi::anomaly
