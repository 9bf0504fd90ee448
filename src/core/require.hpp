// require(): the library's one-line precondition check, throwing aoi::Error.
#pragma once

#include <string>

#include "aoi/error.hpp"

namespace aoi {

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
