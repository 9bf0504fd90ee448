// aoi::Error: the one exception type the library throws.
//
// Every error carries the context a person needs to act on it (a file name, a
// line, a tensor name) in its message. The CLI turns it into a message and an
// exit code; the future C API turns it into a status code.
#pragma once

#include <stdexcept>
#include <string>

namespace aoi {

enum class ErrorKind {
  kInvalidArgument,  // a caller passed something out of range
  kIo,               // a file could not be opened, read or written
  kBadImage,         // image bytes are not a decodable, acceptable image
  kBadWeights,       // a weight file is truncated, corrupted or of the wrong kind
  kBadData,          // any other malformed input (.npy, JSON, CSV)
  kUnsupported,      // valid input that aoi does not handle
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws Error(kind, context + ": " + what) when the condition is false.
inline void require(bool condition, ErrorKind kind, const std::string& context,
                    const std::string& what) {
  if (!condition) throw Error(kind, context.empty() ? what : context + ": " + what);
}
// The same for literal messages: builds no string unless it throws, so hot
// paths (the forward pass, which must not allocate) can check cheaply.
inline void require(bool condition, ErrorKind kind, const char* context, const char* what) {
  if (!condition) throw Error(kind, std::string(context) + ": " + what);
}

}  // namespace aoi
