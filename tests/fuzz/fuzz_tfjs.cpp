// The TF.js converter's input: model.json (topology and weights manifest).
// One fixed shard of 64 KiB sits beside it, so manifests that name it get as
// far as slicing tensors out of it.
#include <vector>

#include "convert.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool shard_written = [] {
    std::vector<std::uint8_t> shard(65536);
    for (std::size_t i = 0; i < shard.size(); ++i) shard[i] = std::uint8_t(i * 37);
    aoi::fuzz::write_file("group1-shard1of1.bin", shard.data(), shard.size());
    return true;
  }();
  (void)shard_written;
  const auto model = aoi::fuzz::write_file("model.json", data, size);
  return aoi::fuzz::expect_error_or_success([&] {
    aoi::weights::ModelDescription description;
    (void)aoi::convert::convert_tfjs(model, description);
  });
}
