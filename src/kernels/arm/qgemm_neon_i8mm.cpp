// The dot-product int8 kernel on sudot (qgemm_neon_dot.hpp): s8 weights by
// the u8 input as is. Compiled with +i8mm; qmicro_kernels() offers it only
// where the CPU reports it.
#include "kernels/qgemm.hpp"

#if defined(__aarch64__)
#include "kernels/arm/qgemm_neon_dot.hpp"

namespace aoi::kernels {
namespace {

struct SignedByUnsigned {
  using Input = uint8x16_t;
  static constexpr bool kShifted = false;
  static Input load16(const std::uint8_t* p) { return vld1q_u8(p); }
  static Input load4(const std::uint8_t* p) { return neon_dot::load_quad(p); }
  template <int Lane>
  static int32x4_t dot(int32x4_t acc, int8x16_t w, Input a) {
    return vsudotq_laneq_s32(acc, w, a, Lane);
  }
};

}  // namespace

QMicroKernel qmicrokernel_neon_i8mm() {
  return {Isa::kNeon, "neon_i8mm", neon_dot::kMr, &neon_dot::tile<SignedByUnsigned>};
}

}  // namespace aoi::kernels
#endif
