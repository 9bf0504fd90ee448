#include "io/csv.hpp"

#include "core/require.hpp"
#include "io/image.hpp"

namespace aoi::io {

std::vector<CsvRow> parse_csv(std::string_view text, const std::string& name) {
  std::vector<CsvRow> rows;
  std::size_t i = 0, line = 1;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // a UTF-8 byte-order mark from spreadsheet exports
  while (i < text.size()) {
    CsvRow row;
    row.line = line;
    std::string field;
    bool at_row_end = false;
    while (!at_row_end) {
      field.clear();
      if (i < text.size() && text[i] == '"') {
        const std::size_t open_line = line;
        ++i;
        for (;;) {
          if (i >= text.size())
            throw Error(ErrorKind::kBadData, name + ":" + std::to_string(open_line) + ": quoted field never closes");
          const char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field.push_back('"');
              ++i;
            } else {
              break;
            }
          } else {
            if (c == '\n') ++line;
            field.push_back(c);
          }
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
          throw Error(ErrorKind::kBadData, name + ":" + std::to_string(line) + ": text after a closing quote");
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') field.push_back(text[i++]);
      }
      row.fields.push_back(field);
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      at_row_end = true;
      if (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] == '\n') ++i, ++line;
    }
    const bool blank = row.fields.size() == 1 && row.fields[0].empty();
    if (!blank) rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<CsvRow> read_csv(const std::filesystem::path& path, std::int64_t max_bytes) {
  const auto bytes = read_file(path, max_bytes);
  return parse_csv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path.string());
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace aoi::io
