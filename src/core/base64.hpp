// Base64 (RFC 4648, with padding) for binary blobs inside JSON documents
// (an anomaly-mode bundle's memory bank) and data: URIs (the report's images).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace aoi {

std::string base64_encode(std::span<const std::uint8_t> bytes);
inline std::string base64_encode(const std::string& bytes) {
  return base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}
// Throws aoi::Error(kBadData) prefixed with `name` on a character outside the
// alphabet or a length that is not a multiple of 4.
std::string base64_decode(std::string_view text, const std::string& name);
// The same, into `out`, which must hold exactly base64_decoded_size(text)
// bytes: the caller's own buffer, e.g. reused for piece after piece of a
// long text. `offset`: where `text` starts in the whole text, so that an
// error names the offset in that. base64_decoded_size throws as
// base64_decode does on a bad length.
std::size_t base64_decoded_size(std::string_view text, const std::string& name);
void base64_decode_into(std::string_view text, std::span<std::uint8_t> out, const std::string& name,
                        std::size_t offset = 0);

}  // namespace aoi
