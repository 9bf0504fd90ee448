// The .aoiw loader: preamble, JSON header, tensor table, checksums.
#include <vector>

#include "weights/weight_file.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return aoi::fuzz::expect_error_or_success([&] {
    const auto file = aoi::weights::WeightFile::from_bytes(std::vector<std::uint8_t>(data, data + size), "fuzz");
    for (const auto& t : file.tensors()) (void)file.data(t.name);
  });
}
