// The bf16 kernel in plain C++: the definition the others are tested
// against, and what runs where nothing better is compiled.
#include "core/bf16.hpp"
#include "kernels/bf16_gemm.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4;

void tile(const BTileArgs& t) {
  for (int r = 0; r < t.rows && r < kMr; ++r) {
    const std::uint16_t* a = t.a + r * t.a_row_stride;
    for (int j = 0; j < t.cols; ++j) {
      const std::uint16_t* b = t.b + (j / kBNr) * t.b_panel_stride + (j % kBNr) * 2;
      float acc = 0.0f;
      for (int k = 0; k < t.k; k += 2, b += 2 * kBNr) {
        acc += widen_bf16(a[k]) * widen_bf16(b[0]);
        acc += widen_bf16(a[k + 1]) * widen_bf16(b[1]);
      }
      const BEpilogue& ep = t.ep;
      float v = acc + ep.bias[j];
      if (ep.residual) v += ep.residual[r * ep.ld_residual + j];
      if (ep.relu) v = v > 0.0f ? v : 0.0f;
      if (ep.out_f32) ep.out_f32[r * ep.ld_f32 + j] = v;
      if (ep.out_bf16) ep.out_bf16[r * ep.ld_bf16 + j] = narrow_bf16(v);
    }
  }
}

}  // namespace

BMicroKernel bmicrokernel_scalar() { return {Isa::kScalar, "scalar", kMr, &tile, 64 / kBNr}; }

}  // namespace aoi::kernels
