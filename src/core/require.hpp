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
// A named context (a file) and a literal message: the first overload would
// otherwise take the call and build a std::string of the message every
// time, which in a loop over a file's values cost a heap allocation each.
inline void require(bool condition, ErrorKind kind, const std::string& context, const char* what) {
  if (condition) return;
  std::string message = context;
  if (!message.empty()) message += ": ";
  message += what;
  throw Error(kind, message);
}

}  // namespace aoi
