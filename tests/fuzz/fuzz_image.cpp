// Format sniffing and the image decoders. Built once per format
// (AOI_FUZZ_FORMAT = kJpeg, kPng, kTiff or kBmp) so each decoder gets its own
// corpus and time; the plain build takes anything.
#include "io/image.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = aoi::fuzz::bytes(data, size);
#ifdef AOI_FUZZ_FORMAT
  if (aoi::io::sniff_format(input) != aoi::io::ImageFormat::AOI_FUZZ_FORMAT) return 0;
#endif
  aoi::io::ImageLimits limits;  // small enough that no input can allocate over the RSS limit
  limits.max_width = limits.max_height = 8192;
  limits.max_pixels = 16'000'000;
  limits.max_file_bytes = 1 << 24;
  return aoi::fuzz::expect_error_or_success([&] {
    const auto image = aoi::io::decode_image(input, "fuzz", limits);
    if (image.rgb.size() != std::size_t(image.width) * image.height * 3) __builtin_trap();
  });
}
