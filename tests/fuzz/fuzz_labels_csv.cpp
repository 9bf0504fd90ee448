// The labels / row weights CSV of `aoi gbdt train` (io/label_column.hpp).
#include "io/label_column.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return aoi::fuzz::expect_error_or_success([&] {
    (void)aoi::io::parse_label_column(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv");
  });
}
