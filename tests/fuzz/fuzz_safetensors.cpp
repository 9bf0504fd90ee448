// The safetensors converter's input: header length, JSON header, tensor data.
#include "convert.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = aoi::fuzz::write_file("state.safetensors", data, size);
  return aoi::fuzz::expect_error_or_success([&] {
    aoi::weights::ModelDescription description;
    (void)aoi::convert::convert_safetensors(file, description);
  });
}
