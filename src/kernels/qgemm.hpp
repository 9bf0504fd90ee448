// Int8 GEMM micro-kernels: C[rows x cols] = A[rows x k] * B[k x 16] with A
// unsigned 8-bit activations, B signed 8-bit weights, and the sum in s32
// registers over the whole depth; then the epilogue dequantizes, adds bias
// and residual, applies ReLU and writes float32 and/or requantized u8.
//
// Weights are packed in panels of kQNr columns, depth in groups of the
// kernel's k_group: b[(k / G) * kQNr * G + j * G + k % G]. G = 4 is the
// order vpdpbusd and sdot read; the i8mm kernel's usmmla reads G = 8 (two
// columns' eight depths per register). Every kernel computes exactly the
// same integers and the same float epilogue (multiply, then add: never
// fused), so int8 results are bit-identical on every path. Weights lie in [-kQWeightMax, kQWeightMax]: AVX2's vpmaddubsw
// adds two u8 x s8 products into a saturating s16, and 2 x 255 x 64 fits.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu.hpp"

namespace aoi::kernels {

constexpr int kQNr = 16;
constexpr int kQWeightMax = 64;

struct QEpilogue {
  const float* scale = nullptr;  // per column: input step x weight step
  const float* bias = nullptr;   // per column
  const float* residual = nullptr;  // float32 added before ReLU, or null
  std::ptrdiff_t ld_residual = 0;
  bool relu = false;
  float* out_f32 = nullptr;  // float32 output, or null
  std::ptrdiff_t ld_f32 = 0;
  std::uint8_t* out_u8 = nullptr;  // u8 output round(v / out_step) clamped to 0..255, or null
  std::ptrdiff_t ld_u8 = 0;
  float out_inv_step = 0;
};

struct QTileArgs {
  int k = 0;  // a multiple of the kernel's k_group
  const std::uint8_t* a = nullptr;  // row r at a + r * a_row_stride; rows >= `rows` never read
  std::ptrdiff_t a_row_stride = 0;
  const std::int8_t* b = nullptr;  // the first packed panel of kQNr columns
  std::ptrdiff_t b_panel_stride = 0;  // bytes from one panel to the next (kernels with panels > 1)
  // Per column of the panel, the sum of its weights over the whole depth:
  // a kernel that multiplies signed by signed (NEON's sdot) reads the u8
  // input as a - 128 and adds 128 x this back, so its sums stay exact.
  const std::int32_t* b_column_sums = nullptr;
  int rows = 0, cols = 0;          // valid part of the tile: up to mr rows, panels x kQNr columns
  QEpilogue ep;                    // pointers at the tile's first row and column
};

struct QMicroKernel {
  Isa isa;
  const char* name;  // unique: scalar, avx2, avx512_vnni, neon, neon_sdot, neon_i8mm
  int mr;
  void (*run)(const QTileArgs&);
  int k_group = 4;  // depths per packed group (the layout above)
  int panels = 1;   // column panels one call covers: its tile is mr x (panels x kQNr)
};

QMicroKernel qmicrokernel_scalar();
QMicroKernel qmicrokernel_avx2();
QMicroKernel qmicrokernel_avx512_vnni();  // AVX-512 VNNI: vpdpbusd, 64 columns per call
QMicroKernel qmicrokernel_neon();       // any ARMv8-A: widening multiply-adds
QMicroKernel qmicrokernel_neon_sdot();  // dot-product extension (FEAT_DotProd)
QMicroKernel qmicrokernel_neon_i8mm();  // mixed-sign matrix multiply-adds (FEAT_I8MM)
// Every int8 kernel this CPU and build can run on path `isa`, best first:
// on aarch64 the i8mm one, then sdot, then plain NEON; on the AVX-512 path
// the VNNI one where the CPU has it, then the AVX2 one. Tests run each of them; throws if `isa` cannot run here.
std::vector<const QMicroKernel*> qmicro_kernels(Isa isa);
// The best of those: what the trunk runs.
const QMicroKernel& qmicro_kernel(Isa isa);

// The epilogue of one value, shared by the kernels that finish from arrays
// (and by tests as the definition): v = acc * scale + bias (+ residual),
// then ReLU. Whatever calls q_dequantize compiles with -ffp-contract=off,
// or the compiler may fuse the two steps and round once (q_requantize has
// nothing to fuse). Each file gets its own
// copy (an unnamed namespace): files compiled for an ISA extension include
// it too, and the copy a baseline kernel calls must be compiled for the
// baseline.
namespace {
inline float q_dequantize(std::int32_t acc, float scale, float bias) {
  float v = float(acc) * scale;
  return v + bias;
}
inline std::uint8_t q_requantize(float v, float inv_step) {
  // std::max(x, 0) then std::min(x, 255), spelled out: no template copy
  // shared with the extension files either.
  const float scaled = v * inv_step;
  const float low = scaled < 0.0f ? 0.0f : scaled;
  const float x = 255.0f < low ? 255.0f : low;
  // Nearest, ties to even, as cvtps2dq does: adding 1.5 x 2^23 leaves no
  // fraction bits, so the sum is x rounded to an integer (plus 1.5 x 2^23),
  // and taking it away again is exact. The same as std::nearbyint on
  // [0, 255], but a loop of it vectorizes where a call does not.
  constexpr float kRound = 12582912.0f;
  return std::uint8_t(int((x + kRound) - kRound));
}
}  // namespace

}  // namespace aoi::kernels
