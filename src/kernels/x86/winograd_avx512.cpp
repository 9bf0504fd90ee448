// Winograd data transforms compiled for AVX-512 (this file only).
#if defined(__x86_64__) && defined(AOI_COMPILE_AVX512)
#include "kernels/winograd_transforms.hpp"

namespace aoi::kernels {
WinogradTransforms winograd_transforms_avx512() { return make_transforms(); }
}  // namespace aoi::kernels
#endif
