#include "io/label_column.hpp"

#include <cmath>
#include <cstdlib>

#include "aoi/error.hpp"

namespace aoi::io {

std::vector<float> parse_label_column(std::string_view text, const std::string& name) {
  std::vector<float> out;
  std::size_t at = 0;
  for (int n = 1; at < text.size(); ++n) {
    const std::size_t end_of_line = text.find('\n', at);
    std::string line(text.substr(at, end_of_line == std::string_view::npos ? std::string_view::npos : end_of_line - at));
    at = end_of_line == std::string_view::npos ? text.size() : end_of_line + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    char* end = nullptr;
    const float v = std::strtof(line.c_str(), &end);
    const bool number = end != line.c_str() && *end == '\0' && line.find('\0') == std::string::npos;
    if (!number && n == 1) continue;  // header
    if (!number || !std::isfinite(v))
      throw Error(ErrorKind::kBadData, name + ":" + std::to_string(n) + ": '" + line.substr(0, 60) + "' is not a finite number");
    out.push_back(v);
  }
  return out;
}

}  // namespace aoi::io
