#include "serve/iso_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace aoi::serve {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso8601_utc(std::int64_t unix_ms) {
  const std::time_t seconds = std::time_t(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(unix_ms % 1000));
  return text;
}

namespace {

bool digits(const std::string& s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601(const std::string& s) {
  int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day))
    return std::nullopt;
  std::size_t at = 10;
  if (at < s.size() && (s[at] == 'T' || s[at] == ' ')) {
    if (!digits(s, at + 1, 2, hour) || at + 3 >= s.size() || s[at + 3] != ':' || !digits(s, at + 4, 2, minute))
      return std::nullopt;
    at += 6;
    if (at < s.size() && s[at] == ':') {
      if (!digits(s, at + 1, 2, second)) return std::nullopt;
      at += 3;
      if (at < s.size() && s[at] == '.') {
        std::size_t end = at + 1;
        while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
        if (end == at + 1) return std::nullopt;
        int scale = 100;
        for (std::size_t i = at + 1; i < end && scale > 0; ++i, scale /= 10) millis += (s[i] - '0') * scale;
        at = end;
      }
    }
  }
  int offset_minutes = 0;
  if (at < s.size()) {
    if (s[at] == 'Z' && at + 1 == s.size()) {
      ++at;
    } else if ((s[at] == '+' || s[at] == '-') && at + 6 == s.size() && s[at + 3] == ':') {
      int oh, om;
      if (!digits(s, at + 1, 2, oh) || !digits(s, at + 4, 2, om) || oh > 23 || om > 59) return std::nullopt;
      offset_minutes = (s[at] == '+' ? 1 : -1) * (oh * 60 + om);
      at = s.size();
    } else {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  return (std::int64_t(t) - std::int64_t(offset_minutes) * 60) * 1000 + millis;
}

}  // namespace aoi::serve
