#include "kernels/qgemm.hpp"

#include "core/require.hpp"

namespace aoi::kernels {

std::vector<const QMicroKernel*> qmicro_kernels(Isa isa) {
  require(isa_supported(isa), ErrorKind::kUnsupported, "int8",
          std::string("instruction set ") + isa_name(isa) + " is not available here");
  std::vector<const QMicroKernel*> out;
#if defined(AOI_COMPILE_AVX512)
  static const QMicroKernel vnni = qmicrokernel_avx512_vnni();
  if (isa == Isa::kAvx512 && cpu_features().avx512_vnni) out.push_back(&vnni);
#endif
#if defined(AOI_COMPILE_AVX2)
  static const QMicroKernel avx2 = qmicrokernel_avx2();
  if (isa == Isa::kAvx2 || isa == Isa::kAvx512) out.push_back(&avx2);
#endif
#if defined(__aarch64__)
  if (isa == Isa::kNeon) {
    static const QMicroKernel neon = qmicrokernel_neon(), sdot = qmicrokernel_neon_sdot(),
                              i8mm = qmicrokernel_neon_i8mm();
    if (cpu_features().neon_i8mm) out.push_back(&i8mm);
    if (cpu_features().neon_dot) out.push_back(&sdot);
    out.push_back(&neon);
  }
#endif
  static const QMicroKernel scalar = qmicrokernel_scalar();
  if (out.empty()) out.push_back(&scalar);
  return out;
}

const QMicroKernel& qmicro_kernel(Isa isa) { return *qmicro_kernels(isa).front(); }

}  // namespace aoi::kernels
