// Feature-cache entries (pipeline/feature_cache.hpp): a damaged or hostile
// entry must read as a miss, never as features or a crash.
#include "pipeline/feature_cache.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The key and width a seed entry was written with (make_corpus.cpp).
  const aoi::pipeline::FeatureKey key{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  std::vector<float> out(16);
  return aoi::fuzz::expect_error_or_success([&] { (void)aoi::pipeline::decode_cache_entry(aoi::fuzz::bytes(data, size), key, out); });
}
