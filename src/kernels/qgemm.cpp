#include "kernels/qgemm.hpp"

#include "core/require.hpp"

namespace aoi::kernels {

const QMicroKernel& qmicro_kernel(Isa isa) {
  require(isa_supported(isa), ErrorKind::kUnsupported, "int8",
          std::string("instruction set ") + isa_name(isa) + " is not available here");
  static const QMicroKernel scalar = qmicrokernel_scalar();
#if defined(AOI_COMPILE_AVX2)
  static const QMicroKernel avx2 = qmicrokernel_avx2();
  if (isa == Isa::kAvx2 || isa == Isa::kAvx512) return avx2;
#endif
#if defined(__aarch64__)
  static const QMicroKernel neon = qmicrokernel_neon();
  if (isa == Isa::kNeon) return neon;
#endif
  return scalar;
}

}  // namespace aoi::kernels
