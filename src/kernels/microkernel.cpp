#include "kernels/microkernel.hpp"

#include "aoi/core/error.hpp"

namespace aoi::kernels {

bool have_microkernel(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(AOI_COMPILE_AVX2)
    case Isa::kAvx2: return true;
#endif
#if defined(AOI_COMPILE_AVX512)
    case Isa::kAvx512: return true;
#endif
#if defined(__aarch64__)
    case Isa::kNeon: return true;
#endif
    default: return false;
  }
}

const MicroKernel& micro_kernel(Isa isa) {
  static const MicroKernel scalar = microkernel_scalar();
  switch (isa) {
#if defined(AOI_COMPILE_AVX512)
    case Isa::kAvx512: {
      static const MicroKernel k = microkernel_avx512();
      return k;
    }
#endif
#if defined(AOI_COMPILE_AVX2)
    case Isa::kAvx2: {
      static const MicroKernel k = microkernel_avx2();
      return k;
    }
#endif
#if defined(__aarch64__)
    case Isa::kNeon: {
      static const MicroKernel k = microkernel_neon();
      return k;
    }
#endif
    case Isa::kScalar: return scalar;
    default: throw Error(ErrorKind::kUnsupported, std::string("this build has no ") + isa_name(isa) + " kernels");
  }
}

}  // namespace aoi::kernels
