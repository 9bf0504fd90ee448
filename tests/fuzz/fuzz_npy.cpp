// The .npy reader: magic, versions, header dictionary, dtypes, shapes.
#include "io/npy.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return aoi::fuzz::expect_error_or_success([&] {
    const auto a = aoi::io::parse_npy(aoi::fuzz::bytes(data, size), "fuzz.npy");
    std::size_t count = 1;
    for (auto d : a.shape) count *= std::size_t(d);
    if (count != a.values.size()) __builtin_trap();
  });
}
