// Portable int8 micro-kernel (4 x 16): the path for CPUs without AVX2 and
// the definition every SIMD path must match bit for bit.
#include "kernels/qgemm.hpp"
#include "kernels/qgemm_finish.hpp"

namespace aoi::kernels {
namespace {

constexpr int kMr = 4;

void tile(const QTileArgs& t) {
  std::int32_t acc[kMr][kQNr] = {};
  for (int k = 0; k < t.k; k += 4) {
    const std::int8_t* b = t.b + std::ptrdiff_t(k) * kQNr;
    for (int r = 0; r < t.rows; ++r) {
      const std::uint8_t* a = t.a + r * t.a_row_stride + k;
      for (int j = 0; j < kQNr; ++j)
        for (int q = 0; q < 4; ++q) acc[r][j] += std::int32_t(a[q]) * std::int32_t(b[j * 4 + q]);
    }
  }
  finish_q_tile<kMr>(t, acc);
}

}  // namespace

QMicroKernel qmicrokernel_scalar() { return {Isa::kScalar, "scalar", kMr, &tile}; }

}  // namespace aoi::kernels
