// CSV as RFC 4180 writes it: comma separated, fields optionally in double
// quotes ("" is a quote inside them), LF or CRLF line ends. Errors name the
// file and the line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace aoi::io {

struct CsvRow {
  std::size_t line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// All rows of `text`, blank lines skipped. `name` prefixes errors
// (an unterminated quote, a stray character after a closing quote).
std::vector<CsvRow> parse_csv(std::string_view text, const std::string& name);

// Reads and parses a file, refusing files over max_bytes.
std::vector<CsvRow> read_csv(const std::filesystem::path& path, std::int64_t max_bytes = std::int64_t(1) << 30);

// A field quoted when it needs to be (comma, quote, CR or LF inside).
std::string csv_field(std::string_view value);

}  // namespace aoi::io
