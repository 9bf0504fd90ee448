// Winograd data transforms compiled for AVX2 + FMA (this file only).
#if defined(__x86_64__) && defined(AOI_COMPILE_AVX2)
#include "kernels/winograd_transforms.hpp"

namespace aoi::kernels {
WinogradTransforms winograd_transforms_avx2() { return make_transforms(); }
}  // namespace aoi::kernels
#endif
