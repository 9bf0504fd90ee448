// Tables that declare an enum's values once, with a name and a doc each
// (feature recipes, modes): the name of a value, and parsing a name with an
// error that lists the known ones.
#pragma once

#include <span>
#include <string>

#include "aoi/error.hpp"

namespace aoi {

template <class Value>
struct NamedValue {
  Value value;
  const char* name;
  const char* doc;
};

template <class Value>
const char* name_in(std::span<const NamedValue<Value>> table, Value value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

// Throws aoi::Error(kInvalidArgument): "unknown WHAT 'NAME' (known: a, b)".
template <class Value>
Value parse_name_in(std::span<const NamedValue<Value>> table, const std::string& name, const char* what) {
  std::string known;
  for (const auto& entry : table) {
    if (name == entry.name) return entry.value;
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  throw Error(ErrorKind::kInvalidArgument, std::string("unknown ") + what + " '" + name + "' (known: " + known + ")");
}

}  // namespace aoi
