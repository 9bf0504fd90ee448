#include "kernels/cpu.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "core/require.hpp"
#include "kernels/microkernel.hpp"

namespace aoi::kernels {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27);
  f.fma = c & (1u << 12);
  std::uint64_t xcr0 = 0;
  if (osxsave) {
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (std::uint64_t(hi) << 32) | lo;
  }
  const bool os_avx = (xcr0 & 0x6) == 0x6;
  const bool os_avx512 = (xcr0 & 0xE6) == 0xE6;
  const bool os_amx = (xcr0 & 0x60000) == 0x60000;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = os_avx && (b & (1u << 5));
    f.avx512f = os_avx512 && (b & (1u << 16));
    f.avx512_vnni = os_avx512 && (c & (1u << 11));
    f.amx = os_amx && (d & (1u << 24));
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512_bf16 = os_avx512 && (a & (1u << 5));
  f.fma = f.fma && os_avx;
#endif
#if defined(__aarch64__) && defined(__linux__)
  // The kernel's hardware capability bits (asm/hwcap.h), spelled out so
  // that older headers build.
  constexpr unsigned long kHwcapAsimdDp = 1ul << 20, kHwcap2I8mm = 1ul << 13;
  f.neon_dot = getauxval(AT_HWCAP) & kHwcapAsimdDp;
  f.neon_i8mm = getauxval(AT_HWCAP2) & kHwcap2I8mm;
#endif
  return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx2: return "avx2";
    case Isa::kNeon: return "neon";
    default: return "scalar";
  }
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon})
    if (name == isa_name(isa)) return isa;
  throw Error(ErrorKind::kInvalidArgument, "unknown instruction set '" + name + "': expected scalar, avx2, avx512 or neon");
}

bool isa_supported(Isa isa) {
  if (!have_microkernel(isa)) return false;
  const auto& f = cpu_features();
  switch (isa) {
    case Isa::kAvx512: return f.avx512f && f.fma;
    case Isa::kAvx2: return f.avx2 && f.fma;
    default: return true;  // scalar everywhere; NEON is baseline on aarch64
  }
}

Isa best_isa() {
  Isa best = Isa::kScalar;
  for (Isa isa : {Isa::kNeon, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) best = isa;
  if (const char* forced = std::getenv("AOI_ISA"); forced && *forced) {
    const Isa wanted = parse_isa(forced);
    if (!isa_supported(wanted))
      throw Error(ErrorKind::kUnsupported, std::string("AOI_ISA=") + forced + ": this CPU or build cannot run it");
    best = wanted;
  }
  return best;
}

std::string describe_cpu() {
  const auto& f = cpu_features();
  std::string s = "cpu:";
#if defined(__aarch64__)
  s += " neon";  // Advanced SIMD is baseline on aarch64
#endif
  if (f.neon_dot) s += " dotprod";
  if (f.neon_i8mm) s += " i8mm";
  if (f.fma) s += " fma";
  if (f.avx2) s += " avx2";
  if (f.avx512f) s += " avx512f";
  if (f.avx512_vnni) s += " avx512_vnni";
  if (f.avx512_bf16) s += " avx512_bf16";
  if (f.amx) s += " amx";
  return s;
}

}  // namespace aoi::kernels
