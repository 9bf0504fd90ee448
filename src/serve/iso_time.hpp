// Timestamps of the results store: ISO 8601 in UTC with milliseconds
// ("2026-12-04T21:05:45.123Z") and Unix milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace aoi::serve {

std::int64_t now_unix_ms();
std::string iso8601_utc(std::int64_t unix_ms);
// Accepts YYYY-MM-DD, optionally followed by THH:MM[:SS[.fff]] and Z or
// +HH:MM / -HH:MM (none means UTC); nullopt for anything else.
std::optional<std::int64_t> parse_iso8601(const std::string& text);

}  // namespace aoi::serve
