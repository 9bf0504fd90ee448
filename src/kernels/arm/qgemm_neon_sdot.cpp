// The dot-product int8 kernel on sdot (qgemm_neon_dot.hpp). Compiled with
// +dotprod; qmicro_kernels() offers it only where the CPU reports it.
#include "kernels/qgemm.hpp"

#if defined(__aarch64__)
#include "kernels/arm/qgemm_neon_dot.hpp"

namespace aoi::kernels {
namespace {

struct SignedBySigned {
  using Input = int8x16_t;
  static constexpr bool kShifted = true;
  static Input shift(uint8x16_t a) { return vreinterpretq_s8_u8(veorq_u8(a, vdupq_n_u8(0x80))); }  // a - 128
  static Input load16(const std::uint8_t* p) { return shift(vld1q_u8(p)); }
  static Input load4(const std::uint8_t* p) { return shift(neon_dot::load_quad(p)); }
  template <int Lane>
  static int32x4_t dot(int32x4_t acc, int8x16_t w, Input a) {
    return vdotq_laneq_s32(acc, w, a, Lane);
  }
};

}  // namespace

QMicroKernel qmicrokernel_neon_sdot() {
  return {Isa::kNeon, "neon_sdot", neon_dot::kMr, &neon_dot::tile<SignedBySigned>};
}

}  // namespace aoi::kernels
#endif
