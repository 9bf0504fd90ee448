#include "kernels/microkernel.hpp"

#include "core/require.hpp"

namespace aoi::kernels {

namespace {

// The kernel this build has for an ISA, or null. One table, so that what
// have_microkernel() promises and what micro_kernel() returns cannot drift.
const MicroKernel* find_micro_kernel(Isa isa) {
  static const MicroKernel scalar = microkernel_scalar();
  switch (isa) {
    case Isa::kScalar: return &scalar;
#if defined(AOI_COMPILE_AVX2)
    case Isa::kAvx2: {
      static const MicroKernel k = microkernel_avx2();
      return &k;
    }
#endif
#if defined(AOI_COMPILE_AVX512)
    case Isa::kAvx512: {
      static const MicroKernel k = microkernel_avx512();
      return &k;
    }
#endif
#if defined(__aarch64__)
    case Isa::kNeon: {
      static const MicroKernel k = microkernel_neon();
      return &k;
    }
#endif
    default: return nullptr;
  }
}

}  // namespace

bool have_microkernel(Isa isa) { return find_micro_kernel(isa) != nullptr; }

const MicroKernel& micro_kernel(Isa isa) {
  if (const MicroKernel* k = find_micro_kernel(isa)) return *k;
  throw Error(ErrorKind::kUnsupported, std::string("this build has no ") + isa_name(isa) + " kernels");
}

}  // namespace aoi::kernels
