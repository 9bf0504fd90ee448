// What the AVX-512 micro-kernels share: the lane mask of a 16-column panel's
// valid columns, and a 32-bit load of a row's depths (four u8 or two bf16)
// to broadcast. Only files compiled for AVX-512 include it; each gets its
// own copy (an unnamed namespace), since they are compiled for different
// extensions.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace aoi::kernels {
namespace {

inline __mmask16 column_mask(int cols) {
  return cols >= 16 ? __mmask16(0xFFFF) : cols <= 0 ? __mmask16(0) : __mmask16((1u << cols) - 1);
}

inline std::int32_t load_depths32(const void* p) {
  std::int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace
}  // namespace aoi::kernels
