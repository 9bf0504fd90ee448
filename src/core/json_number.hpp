// Numbers from untrusted JSON. nlohmann's get<int>() or get<float>() on a
// value out of the target's range (1e300 into an int or a float) is undefined
// behaviour; these check the kind and the range first and throw aoi::Error.
#pragma once

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/require.hpp"

namespace aoi::detail {

template <typename T>
T json_number(const nlohmann::json& j, const std::string& what, ErrorKind kind = ErrorKind::kBadData) {
  if constexpr (std::is_integral_v<T>) {
    bool ok = false;
    if (j.is_number_unsigned()) {
      ok = j.get<std::uint64_t>() <= std::uint64_t(std::numeric_limits<T>::max());
    } else if (j.is_number_integer()) {
      const auto v = j.get<std::int64_t>();
      ok = (std::is_signed_v<T> ? v >= std::int64_t(std::numeric_limits<T>::min()) : v >= 0) &&
           (std::uint64_t(std::max<std::int64_t>(v, 0)) <= std::uint64_t(std::numeric_limits<T>::max()));
    }
    require(ok, kind, what, "expected an integer in the range of its type, got " + j.dump());
    return j.get<T>();
  } else {
    require(j.is_number(), kind, what, "expected a number, got " + j.dump());
    const double v = j.get<double>();
    require(v >= -double(std::numeric_limits<T>::max()) && v <= double(std::numeric_limits<T>::max()), kind, what,
            "number " + j.dump() + " is out of range");
    return static_cast<T>(v);
  }
}

template <typename T>
std::vector<T> json_numbers(const nlohmann::json& j, const std::string& what, ErrorKind kind = ErrorKind::kBadData) {
  require(j.is_array(), kind, what, "expected an array of numbers");
  std::vector<T> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(json_number<T>(v, what, kind));
  return out;
}

}  // namespace aoi::detail
