// Whether loaders verify their checksums. Fuzzing builds define
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (the libFuzzer / OSS-Fuzz
// convention) so that mutated inputs get past the checksum to the parsing
// behind it; every other build verifies.
#pragma once

namespace aoi::detail {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
inline constexpr bool kVerifyChecksums = false;
#else
inline constexpr bool kVerifyChecksums = true;
#endif
}  // namespace aoi::detail
