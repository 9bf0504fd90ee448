// The evaluation JSON `aoi train --thresholds-from` reads: its operating
// points' thresholds and facts (pipeline/evaluation_json.hpp).
#include "pipeline/evaluation_json.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return aoi::fuzz::expect_error_or_success(
      [&] { (void)aoi::pipeline::parse_evaluation_thresholds(aoi::fuzz::bytes(data, size), "fuzz.json"); });
}
