// What the CPU running this process can do, read once by cpuid. Kernels are
// picked from this at run time so that one binary uses the best path on any
// x86-64; AOI_ISA=scalar|avx2|avx512 forces a lower path for testing.
#pragma once

#include <string>

namespace aoi::kernels {

enum class Isa { kScalar, kAvx2, kAvx512 };

struct CpuFeatures {
  bool avx2 = false, fma = false, avx512f = false, avx512_vnni = false, avx512_bf16 = false, amx = false;
};

const CpuFeatures& cpu_features();  // detected once, cached
Isa best_isa();                      // the best path this CPU supports, lowered by AOI_ISA if set
const char* isa_name(Isa isa);
std::string describe_cpu();          // one line for `aoi info` and benchmarks

}  // namespace aoi::kernels
