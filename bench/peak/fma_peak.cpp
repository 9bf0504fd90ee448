#include "peak/fma_peak.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aoi::bench {
namespace {

constexpr long kIterations = 20'000'000;

#if defined(__x86_64__)
// 12 chains: 4-cycle latency x 2 ports = 8 in flight needed; 12 leaves slack.
__attribute__((target("avx512f"))) float chains_avx512(long n) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float chains_avx2(long n) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(float(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

// The AVX2 int8 kernel's inner step with its operands in L1: four rows of
// four u8 broadcast from memory, two 32-byte weight vectors, eight
// accumulators (the register tile of kernels/x86/qgemm_avx2.cpp). In
// assembly: compiled from intrinsics, the same loop ran a third slower or
// faster depending on -march tuning, and a peak must not depend on that.
__attribute__((target("avx2"), noinline)) int int8_steps_avx2(long n) {
  alignas(64) static std::uint8_t a[64];
  alignas(64) static std::int8_t b[64];
  for (int i = 0; i < 64; ++i) a[i] = std::uint8_t(i), b[i] = std::int8_t(i - 32);
  alignas(32) std::int32_t out[8];
  asm volatile(
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vmovdqa %%ymm0, %%ymm1\n\t vmovdqa %%ymm0, %%ymm2\n\t vmovdqa %%ymm0, %%ymm3\n\t"
      "vmovdqa %%ymm0, %%ymm4\n\t vmovdqa %%ymm0, %%ymm5\n\t vmovdqa %%ymm0, %%ymm6\n\t vmovdqa %%ymm0, %%ymm7\n\t"
      "vmovdqa (%[b]), %%ymm8\n\t vmovdqa 32(%[b]), %%ymm9\n\t"
      "vpcmpeqw %%ymm10, %%ymm10, %%ymm10\n\t vpsrlw $15, %%ymm10, %%ymm10\n\t"  // 16-bit ones
      "1:\n\t"
#define AOI_ROW(offset, lo, hi)                                                              \
  "vpbroadcastd " #offset "(%[a]), %%ymm11\n\t"                                             \
  "vpmaddubsw %%ymm8, %%ymm11, %%ymm12\n\t vpmaddubsw %%ymm9, %%ymm11, %%ymm13\n\t"         \
  "vpmaddwd %%ymm10, %%ymm12, %%ymm12\n\t vpmaddwd %%ymm10, %%ymm13, %%ymm13\n\t"           \
  "vpaddd %%ymm12, %%" #lo ", %%" #lo "\n\t vpaddd %%ymm13, %%" #hi ", %%" #hi "\n\t"
      AOI_ROW(0, ymm0, ymm1) AOI_ROW(4, ymm2, ymm3) AOI_ROW(8, ymm4, ymm5) AOI_ROW(12, ymm6, ymm7)
#undef AOI_ROW
      "dec %[n]\n\t jnz 1b\n\t"
      "vpaddd %%ymm1, %%ymm0, %%ymm0\n\t vpaddd %%ymm3, %%ymm2, %%ymm2\n\t"
      "vpaddd %%ymm5, %%ymm4, %%ymm4\n\t vpaddd %%ymm7, %%ymm6, %%ymm6\n\t"
      "vpaddd %%ymm2, %%ymm0, %%ymm0\n\t vpaddd %%ymm6, %%ymm4, %%ymm4\n\t vpaddd %%ymm4, %%ymm0, %%ymm0\n\t"
      "vmovdqa %%ymm0, (%[out])\n\t vzeroupper"
      : [n] "+r"(n)
      : [a] "r"(a), [b] "r"(b), [out] "r"(out)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13");
  return out[0] + out[7];
}

// 24 accumulators, each updated by one `op` per pass, with zeroed operands:
// an instruction's issue rate with nothing else in the loop (more chains
// than its latency times its ports need).
constexpr int kDotChains = 24;
#define AOI_ZERO(acc) "vpxord %%zmm" #acc ", %%zmm" #acc ", %%zmm" #acc "\n\t"
#define AOI_DOT(op, acc) op " %%zmm31, %%zmm30, %%zmm" #acc "\n\t"
#define AOI_DOT_CHAINS(op) \
  asm volatile( \
      AOI_ZERO(30) AOI_ZERO(31) \
      AOI_ZERO(0) AOI_ZERO(1) AOI_ZERO(2) AOI_ZERO(3) AOI_ZERO(4) AOI_ZERO(5) AOI_ZERO(6) AOI_ZERO(7) \
      AOI_ZERO(8) AOI_ZERO(9) AOI_ZERO(10) AOI_ZERO(11) AOI_ZERO(12) AOI_ZERO(13) AOI_ZERO(14) AOI_ZERO(15) \
      AOI_ZERO(16) AOI_ZERO(17) AOI_ZERO(18) AOI_ZERO(19) AOI_ZERO(20) AOI_ZERO(21) AOI_ZERO(22) AOI_ZERO(23) \
      "1:\n\t" \
      AOI_DOT(op, 0) AOI_DOT(op, 1) AOI_DOT(op, 2) AOI_DOT(op, 3) AOI_DOT(op, 4) AOI_DOT(op, 5) \
      AOI_DOT(op, 6) AOI_DOT(op, 7) AOI_DOT(op, 8) AOI_DOT(op, 9) AOI_DOT(op, 10) AOI_DOT(op, 11) \
      AOI_DOT(op, 12) AOI_DOT(op, 13) AOI_DOT(op, 14) AOI_DOT(op, 15) AOI_DOT(op, 16) AOI_DOT(op, 17) \
      AOI_DOT(op, 18) AOI_DOT(op, 19) AOI_DOT(op, 20) AOI_DOT(op, 21) AOI_DOT(op, 22) AOI_DOT(op, 23) \
      "dec %[n]\n\t jnz 1b\n\t vzeroupper" \
      : [n] "+r"(n) \
      : \
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
        "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", \
        "xmm23", "xmm30", "xmm31")

__attribute__((target("avx512f,avx512vnni"), noinline)) void vnni_chains(long n) { AOI_DOT_CHAINS("vpdpbusd"); }
__attribute__((target("avx512f,avx512bf16"), noinline)) void bf16_chains(long n) { AOI_DOT_CHAINS("vdpbf16ps"); }
#undef AOI_DOT_CHAINS
#undef AOI_DOT
#undef AOI_ZERO

#endif

// Best of three timed runs of run(n) (after a warm-up of n / 10, which also
// brings the clocks up), in billions of `per_pass` units per second.
template <class Run>
double best_rate(Run run, long n, double per_pass) {
  run(n / 10);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    run(n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, per_pass * double(n) / s / 1e9);
  }
  return best;
}

// Where a timed loop's result goes, so that it is not optimised away.
volatile float g_sink;

float chains_scalar(long n) {
  float acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = float(i);
  for (long k = 0; k < n; ++k)
    for (int i = 0; i < 12; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float s = 0;
  for (float v : acc) s += v;
  return s;
}

}  // namespace

double measured_fma_peak_gflops(kernels::Isa isa) {
  int lanes = 1;
  float (*run)(long) = chains_scalar;
#if defined(__x86_64__)
  if (isa == kernels::Isa::kAvx512) lanes = 16, run = chains_avx512;
  if (isa == kernels::Isa::kAvx2) lanes = 8, run = chains_avx2;
#endif
  const long n = isa == kernels::Isa::kScalar ? kIterations / 8 : kIterations;
  return best_rate([run](long k) { g_sink = run(k); }, n, 2.0 * 12 * lanes);
}

double measured_int8_peak_gmacs() {
#if defined(__x86_64__)
  if (!kernels::cpu_features().avx2) return 0;
  return best_rate([](long k) { g_sink = float(int8_steps_avx2(k)); }, kIterations, 256.0);
#else
  return 0;
#endif
}

double measured_vnni_peak_gmacs() {
#if defined(__x86_64__)
  if (!kernels::cpu_features().avx512_vnni) return 0;
  return best_rate(vnni_chains, kIterations, kDotChains * 64.0);
#else
  return 0;
#endif
}

double measured_bf16_peak_gmacs() {
#if defined(__x86_64__)
  if (!kernels::cpu_features().avx512_bf16) return 0;
  return best_rate(bf16_chains, kIterations, kDotChains * 32.0);
#else
  return 0;
#endif
}

}  // namespace aoi::bench
