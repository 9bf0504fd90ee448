// What the CPU running this process can do, read once by cpuid. Kernels are
// picked from this at run time so that one binary uses the best path on any
// x86-64; AOI_ISA=scalar|avx2|avx512|neon forces another supported path
// (tests and benchmarks cover each path this way).
#pragma once

#include <string>

namespace aoi::kernels {

enum class Isa { kScalar, kAvx2, kAvx512, kNeon };

struct CpuFeatures {
  bool avx2 = false, fma = false, avx512f = false, avx512_vnni = false, avx512_bf16 = false, amx = false;
  bool neon_dot = false, neon_i8mm = false;  // aarch64: sdot/udot, and usdot/sudot/smmla
};

const CpuFeatures& cpu_features();  // detected once, cached
Isa best_isa();                      // the best path this CPU supports, or AOI_ISA if set
bool isa_supported(Isa isa);         // this CPU can run it and this build has its kernels
const char* isa_name(Isa isa);
Isa parse_isa(const std::string& name);  // scalar, avx2, avx512 or neon; throws otherwise
std::string describe_cpu();          // one line for `aoi info` and benchmarks

}  // namespace aoi::kernels
