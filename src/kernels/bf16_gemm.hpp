// bfloat16 GEMM micro-kernels: C[rows x cols] = A[rows x k] * B[k x cols],
// A (activations) and B (weights) bfloat16, products and sums in float32;
// then the epilogue adds bias and residual, applies ReLU and writes float32
// and/or bfloat16 (nearest even) for the next layer.
//
// Weights are packed in panels of kBNr columns, depth in pairs:
// b[(k / 2) * kBNr * 2 + j * 2 + k % 2], the order vdpbf16ps reads (one
// column's two depths per 32-bit lane). A product of two bfloat16 values is
// exact in float32, so paths differ only in the order of the sums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/cpu.hpp"

namespace aoi::kernels {

constexpr int kBNr = 16;

struct BEpilogue {
  const float* bias = nullptr;      // per column
  const float* residual = nullptr;  // float32 added before ReLU, or null
  std::ptrdiff_t ld_residual = 0;
  bool relu = false;
  float* out_f32 = nullptr;  // float32 output, or null
  std::ptrdiff_t ld_f32 = 0;
  std::uint16_t* out_bf16 = nullptr;  // bfloat16 output, or null
  std::ptrdiff_t ld_bf16 = 0;
};

struct BTileArgs {
  int k = 0;  // even
  const std::uint16_t* a = nullptr;  // row r at a + r * a_row_stride; rows >= `rows` never read
  std::ptrdiff_t a_row_stride = 0;   // in elements
  const std::uint16_t* b = nullptr;  // the first packed panel
  std::ptrdiff_t b_panel_stride = 0;  // elements from one panel to the next
  int rows = 0, cols = 0;  // valid part of the tile: up to mr rows, panels x kBNr columns
  BEpilogue ep;            // pointers at the tile's first row and column
};

struct BMicroKernel {
  Isa isa;
  const char* name;  // unique: scalar, avx512_bf16
  int mr;
  void (*run)(const BTileArgs&);
  int panels = 1;  // column panels one call covers
};

BMicroKernel bmicrokernel_scalar();
BMicroKernel bmicrokernel_avx512_bf16();  // AVX512_BF16: vdpbf16ps, 64 columns per call
// Every bf16 kernel this CPU and build can run on path `isa`, best first;
// the scalar one (the definition tests compare with) always last.
std::vector<const BMicroKernel*> bmicro_kernels(Isa isa);
// Whether path `isa` has bfloat16 arithmetic here. Where it has not, a bf16
// weight file runs widened to float32 (nn/engine.cpp).
bool bf16_native(Isa isa);

}  // namespace aoi::kernels
