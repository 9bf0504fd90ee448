// The patch descriptor anomaly mode compares (the PatchCore idea): for every
// cell of res3's grid (28 x 28 for a 224 input) a vector of kPatchDim floats,
// half from res3 and half from res4 (upsampled to res3's grid), each averaged
// over its 3 x 3 neighbourhood so a patch sees a little context.
//
// Each layer is first reduced by a fixed random +-1 projection (seeded by
// nothing but the layer and the indices, so every build and platform makes
// the same one): Euclidean distances between patches survive it closely
// (Johnson-Lindenstrauss), the memory bank and the nearest-neighbour search
// shrink by 12x, and because the projection is linear it is applied before
// the pooling and upsampling, where it is cheapest.
#pragma once

#include <cstddef>
#include <vector>

namespace aoi::anomaly {

inline constexpr int kPatchDim = 128;       // floats per patch: res3 half, then res4 half
inline constexpr int kLayerDim = kPatchDim / 2;

// The side of res3's grid for a square input of `input_size` (stem stride 2,
// max pool stride 2, res3 stride 2, each rounding up).
int patch_grid_side(int input_size);

class PatchProjector {
 public:
  PatchProjector(int res3_channels, int res4_channels);

  // Floats of scratch one image needs on a grid of side x side.
  static std::size_t scratch_floats(int side);

  // res3: channels x side x side (NCHW). Writes the res3 half of every patch
  // of `patches` (side*side rows of kPatchDim floats).
  void add_res3(const float* res3, int side, float* patches, float* scratch) const;
  // res4: channels x s4 x s4 with s4 = ceil(side / 2). Writes the res4 half.
  void add_res4(const float* res4, int s4, int side, float* patches, float* scratch) const;

 private:
  int res3_channels_, res4_channels_;
  std::vector<float> r3_, r4_;  // kLayerDim x channels, row-major
};

}  // namespace aoi::anomaly
