#include "kernels/bf16_gemm.hpp"

#include "core/require.hpp"

namespace aoi::kernels {

std::vector<const BMicroKernel*> bmicro_kernels(Isa isa) {
  require(isa_supported(isa), ErrorKind::kUnsupported, "bf16",
          std::string("instruction set ") + isa_name(isa) + " is not available here");
  std::vector<const BMicroKernel*> out;
#if defined(AOI_COMPILE_AVX512)
  static const BMicroKernel avx512 = bmicrokernel_avx512_bf16();
  if (isa == Isa::kAvx512 && cpu_features().avx512_bf16) out.push_back(&avx512);
#endif
  static const BMicroKernel scalar = bmicrokernel_scalar();
  out.push_back(&scalar);
  return out;
}

bool bf16_native(Isa isa) { return bmicro_kernels(isa).front()->isa != Isa::kScalar; }

}  // namespace aoi::kernels
