// The machine's measured fp32 FMA peak for one thread, per instruction set:
// independent FMA chains in registers, enough of them to cover the FMA
// latency on both ports. Kernels report their speed as a share of this.
#pragma once

#include "kernels/cpu.hpp"

namespace aoi::bench {

// GFLOP/s (2 flops per lane per FMA) of one thread, measured now (a fraction
// of a second).
double measured_fma_peak_gflops(kernels::Isa isa);

// u8 x s8 multiply-adds per second (GMAC/s) of one thread on the AVX2 int8
// path's instruction sequence (vpmaddubsw, vpmaddwd by ones, vpaddd) with
// its operands in L1: what the int8 kernels report a share of.
// 0 where the CPU has no AVX2.
double measured_int8_peak_gmacs();

// Multiply-adds per second (GMAC/s) of one thread issuing only AVX-512
// vpdpbusd (u8 x s8, 64 a zmm instruction) or vdpbf16ps (bf16, 32) on
// independent accumulators in registers: the peak the VNNI and bf16
// kernels report a share of. 0 where the CPU lacks the instruction.
double measured_vnni_peak_gmacs();
double measured_bf16_peak_gmacs();

}  // namespace aoi::bench
