// The model bundle loader (JSON document, checksum, embedded GBDT model).
#include "pipeline/bundle.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return aoi::fuzz::expect_error_or_success([&] { (void)aoi::pipeline::parse_bundle(aoi::fuzz::bytes(data, size), "fuzz"); });
}
