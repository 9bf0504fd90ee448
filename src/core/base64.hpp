// Base64 (RFC 4648, with padding) for binary blobs inside JSON documents
// (the memory bank of an anomaly-mode bundle).
#pragma once

#include <string>

namespace aoi {

std::string base64_encode(const std::string& bytes);
// Throws aoi::Error(kBadData) prefixed with `name` on a character outside the
// alphabet or a length that is not a multiple of 4.
std::string base64_decode(const std::string& text, const std::string& name);

}  // namespace aoi
