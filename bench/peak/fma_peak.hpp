// The machine's measured fp32 FMA peak for one thread, per instruction set:
// independent FMA chains in registers, enough of them to cover the FMA
// latency on both ports. Kernels report their speed as a share of this.
#pragma once

#include "kernels/cpu.hpp"

namespace aoi::bench {

// GFLOP/s (2 flops per lane per FMA) of one thread, measured now (a fraction
// of a second).
double measured_fma_peak_gflops(kernels::Isa isa);

}  // namespace aoi::bench
