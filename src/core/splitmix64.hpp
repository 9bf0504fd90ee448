// splitmix64 (Steele, Lea and Flood, 2014): a counter-based generator, so the
// i-th draw needs no state and does not depend on who draws it or when.
#pragma once

#include <cstdint>

namespace aoi {

inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace aoi
