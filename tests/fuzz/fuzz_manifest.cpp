// The manifest CSV parser and its row validation (binary and multi-class).
#include <string_view>

#include "pipeline/manifest.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  aoi::pipeline::ManifestOptions options;
  options.check_files = false;  // no file system in the loop
  options.need_labels = size % 2;
  options.need_time = size % 3 == 0;
  options.discover_classes = size % 5 == 0;
  return aoi::fuzz::expect_error_or_success([&] {
    const auto m = aoi::pipeline::parse_manifest(text, "/data/m.csv", options);
    for (const auto& item : m.items)
      if (item.label >= int(m.classes.size()) || (item.roi && (item.roi->width <= 0 || item.roi->height <= 0)))
        __builtin_trap();
  });
}
