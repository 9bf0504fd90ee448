// The kernel paths this CPU and build run, for tests parameterized over them.
#pragma once

#include <vector>

#include "kernels/cpu.hpp"

namespace aoi::test {

inline std::vector<kernels::Isa> runnable_isas() {
  std::vector<kernels::Isa> out;
  for (auto isa : {kernels::Isa::kScalar, kernels::Isa::kAvx2, kernels::Isa::kAvx512, kernels::Isa::kNeon})
    if (kernels::isa_supported(isa)) out.push_back(isa);
  return out;
}

}  // namespace aoi::test
