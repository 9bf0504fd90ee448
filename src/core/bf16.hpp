// bfloat16 <-> float32: the top 16 bits of a float32, rounded to nearest
// even when narrowing; NaN stays NaN. Plain C++: files compiled for an ISA
// extension convert with its own instructions and do not include this.
#pragma once

#include <cstdint>
#include <cstring>

namespace aoi {

inline float widen_bf16(std::uint16_t v) {
  const std::uint32_t bits = std::uint32_t(v) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline std::uint16_t narrow_bf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return std::uint16_t(bits >> 16);
}

}  // namespace aoi
