// GEMM micro-kernels: C[rows x cols] (+)= A[rows x kc] * B[kc x NR], one
// register tile per call, with the convolution epilogue (bias, residual add,
// ReLU) applied in registers on the last k block. One implementation per ISA
// lives in its own translation unit, compiled for that ISA only; the driver
// picks one at run time from cpuid (kernels/cpu.hpp).
#pragma once

#include <cstddef>

#include "kernels/cpu.hpp"

namespace aoi::kernels {

// Applied once, after the last k block: c = relu?(c + bias + residual).
struct Epilogue {
  const float* bias = nullptr;      // at the tile's first column
  const float* residual = nullptr;  // at the tile's first element, or null
  std::ptrdiff_t ld_residual = 0;
  bool relu = false;
};

struct TileArgs {
  int kc = 0;
  // A: row r at a + r * a_row_stride, contiguous in k (activations in NHWC
  // are read in place; other shapes gather their patch rows first). Rows
  // >= `rows` are never read.
  const float* a = nullptr;
  std::ptrdiff_t a_row_stride = 0;
  // A's depth in segments of a_segment_depth contiguous floats, segment s of
  // row r at a + r * a_row_stride + s * a_segment_stride: a k x k convolution
  // reading its input in place, one segment per kernel row. 0: kc contiguous
  // floats.
  int a_segment_depth = 0;
  std::ptrdiff_t a_segment_stride = 0;
  // Floats of A read contiguously before the next segment: all of kc when A
  // is not in segments.
  int a_run() const { return a_segment_depth > 0 ? a_segment_depth : kc; }
  const float* b = nullptr;  // packed panel: b[k * nr + j], zero-padded columns
  float* c = nullptr;
  std::ptrdiff_t ldc = 0;
  int rows = 0, cols = 0;   // valid part of the tile: rows <= mr, cols <= nr
  bool accumulate = false;  // add to C (later k blocks) instead of overwriting
  const Epilogue* epilogue = nullptr;
};

struct MicroKernel {
  Isa isa;
  int mr, nr;
  void (*run)(const TileArgs&);
};

// Defined by each ISA's translation unit; the ones this build or CPU cannot
// run are never called (micro_kernel() checks).
MicroKernel microkernel_scalar();
MicroKernel microkernel_avx2();
MicroKernel microkernel_avx512();
MicroKernel microkernel_neon();
bool have_microkernel(Isa isa);  // compiled into this build

const MicroKernel& micro_kernel(Isa isa);

}  // namespace aoi::kernels
