// aoi::Error: the one exception type the library throws.
//
// Every error carries the context a person needs to act on it (a file name, a
// line, a tensor name) in its message. The CLI turns it into a message and an
// exit code; the C API (aoi/aoi.h) turns it into a status code.
#pragma once

#include <stdexcept>
#include <string>

#include "aoi/export.h"

namespace aoi {

enum class ErrorKind {
  kInvalidArgument,  // a caller passed something out of range
  kIo,               // a file could not be opened, read or written
  kBadImage,         // image bytes are not a decodable, acceptable image
  kBadWeights,       // a weight file is truncated, corrupted or of the wrong kind
  kBadData,          // any other malformed input (.npy, JSON, CSV)
  kUnsupported,      // valid input that aoi does not handle
};

class AOI_API Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace aoi
