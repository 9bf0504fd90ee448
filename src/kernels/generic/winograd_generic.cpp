// Winograd data transforms for the baseline target (scalar and NEON paths,
// SSE2 on x86-64), and the per-ISA choice.
#include "kernels/winograd_transforms.hpp"

namespace aoi::kernels {

WinogradTransforms winograd_transforms_generic() { return make_transforms(); }

const WinogradTransforms& winograd_transforms(Isa isa) {
  static const WinogradTransforms generic = winograd_transforms_generic();
#if defined(AOI_COMPILE_AVX512)
  static const WinogradTransforms avx512 = winograd_transforms_avx512();
  if (isa == Isa::kAvx512) return avx512;
#endif
#if defined(AOI_COMPILE_AVX2)
  static const WinogradTransforms avx2 = winograd_transforms_avx2();
  if (isa == Isa::kAvx2) return avx2;
#endif
  return generic;
}

}  // namespace aoi::kernels
