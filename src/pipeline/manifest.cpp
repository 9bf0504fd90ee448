#include "pipeline/manifest.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>

#include "core/require.hpp"
#include "io/csv.hpp"
#include "io/image.hpp"

namespace aoi::pipeline {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_int(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + std::int64_t(doe) - 719468;
}

// Reads exactly `n` digits at s[i] into v.
bool digits(const std::string& s, std::size_t& i, int n, int& v) {
  if (i + n > s.size()) return false;
  v = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  return true;
}

bool parse_iso8601(const std::string& s, std::int64_t& ms) {
  std::size_t i = 0;
  int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (!digits(s, i, 4, year) || i >= s.size() || s[i++] != '-' || !digits(s, i, 2, month) || i >= s.size() ||
      s[i++] != '-' || !digits(s, i, 2, day))
    return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  if (month == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) return false;
  int offset_minutes = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    ++i;
    if (!digits(s, i, 2, hour) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, minute)) return false;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!digits(s, i, 2, second)) return false;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int scale = 100, n = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          millis += (s[i++] - '0') * scale;
          scale /= 10;
          ++n;
        }
        if (n == 0) return false;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return false;
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      const int sign = s[i++] == '-' ? -1 : 1;
      int oh, om = 0;
      if (!digits(s, i, 2, oh)) return false;
      if (i < s.size() && s[i] == ':') ++i;
      if (i < s.size() && !digits(s, i, 2, om)) return false;
      if (oh > 23 || om > 59) return false;
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (i != s.size()) return false;
  const std::int64_t seconds =
      days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  ms = seconds * 1000 + millis;
  return true;
}

struct Columns {
  int path = -1, label = -1, time = -1, group = -1, x = -1, y = -1, w = -1, h = -1;
};

Columns find_columns(const io::CsvRow& header, const std::string& name) {
  Columns c;
  std::map<std::string, int*> known{{"path", &c.path}, {"label", &c.label}, {"time", &c.time}, {"group", &c.group},
                                    {"x", &c.x},       {"y", &c.y},         {"w", &c.w},       {"h", &c.h}};
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const auto it = known.find(lower(trim(header.fields[i])));
    if (it == known.end()) continue;  // extra columns are the user's own notes
    require(*it->second < 0, ErrorKind::kBadData, name + ":1", "column '" + it->first + "' appears twice");
    *it->second = int(i);
  }
  require(c.path >= 0, ErrorKind::kBadData, name + ":1",
          "the header has no 'path' column (expected path,label,time[,group][,x,y,w,h])");
  const int region_columns = (c.x >= 0) + (c.y >= 0) + (c.w >= 0) + (c.h >= 0);
  require(region_columns == 0 || region_columns == 4, ErrorKind::kBadData, name + ":1",
          "a region needs all four columns x,y,w,h");
  return c;
}

}  // namespace

bool parse_time(const std::string& text, std::int64_t& value, bool& iso) {
  const auto t = trim(text);
  if (parse_int(t, value)) {
    iso = false;
    return true;
  }
  iso = true;
  return parse_iso8601(t, value);
}

std::string ManifestItem::describe() const {
  if (!roi) return path;
  return path + " [" + std::to_string(roi->x) + "," + std::to_string(roi->y) + "," + std::to_string(roi->width) + "," +
         std::to_string(roi->height) + "]";
}

namespace {

// The same image region listed twice counts twice in cross-validation (and
// may sit in a training and a test fold at once): an exact repeat is dropped
// with a warning; the same region with two labels is refused, naming both lines.
void drop_duplicates(Manifest& m, const std::string& name) {
  std::map<std::string, std::size_t> first;  // path + region -> index in kept
  std::vector<ManifestItem> kept;
  kept.reserve(m.items.size());
  for (auto& item : m.items) {
    std::string key = item.path;
    if (item.roi) {
      char region[64];
      std::snprintf(region, sizeof region, "\n%d,%d,%d,%d", item.roi->x, item.roi->y, item.roi->width, item.roi->height);
      key += region;
    }
    const auto [it, fresh] = first.emplace(key, kept.size());
    if (fresh) {
      kept.push_back(std::move(item));
      continue;
    }
    const ManifestItem& earlier = kept[it->second];
    if (earlier.label_text != item.label_text)
      throw Error(ErrorKind::kBadData, name + ":" + std::to_string(earlier.line) + " and line " + std::to_string(item.line) +
                                           " list the same image region (" + item.path + ") with labels '" +
                                           earlier.label_text + "' and '" + item.label_text + "'; keep one");
    m.warnings.push_back(name + ":" + std::to_string(item.line) + ": repeats line " + std::to_string(earlier.line) +
                         " (" + item.path + "); ignored");
  }
  m.items = std::move(kept);
}

}  // namespace

Manifest read_manifest(const std::filesystem::path& file, const ManifestOptions& options) {
  const auto bytes = io::read_file(file, std::int64_t(1) << 30);
  return parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), file, options);
}

Manifest parse_manifest(std::string_view text, const std::filesystem::path& file, const ManifestOptions& options) {
  const std::string name = file.string();
  const auto rows = io::parse_csv(text, name);
  require(!rows.empty(), ErrorKind::kBadData, name, "the manifest is empty (it needs a header: path,label,time)");
  const Columns col = find_columns(rows[0], name);
  require(!options.need_labels || col.label >= 0, ErrorKind::kBadData, name + ":1", "the header has no 'label' column");
  require(!options.need_time || col.time >= 0, ErrorKind::kBadData, name + ":1", "the header has no 'time' column");

  Manifest m;
  m.file = file;
  m.has_labels = col.label >= 0;
  m.has_time = col.time >= 0;
  m.multiclass = !options.classes.empty() || options.discover_classes;
  if (m.multiclass && options.discover_classes && options.classes.empty() && m.has_labels) {
    std::set<std::string> names;
    for (std::size_t r = 1; r < rows.size(); ++r)
      if (col.label < int(rows[r].fields.size()) && !trim(rows[r].fields[col.label]).empty())
        names.insert(trim(rows[r].fields[col.label]));
    if (names.erase("pass")) m.classes.push_back("pass");
    m.classes.insert(m.classes.end(), names.begin(), names.end());
  } else {
    m.classes = m.multiclass ? options.classes : std::vector<std::string>{"pass", "fail"};
  }
  const auto base = file.parent_path();
  int time_kind = -1;  // 0 integer, 1 ISO; set by the first row, all rows must agree
  std::size_t time_kind_line = 0;

  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& fields = rows[r].fields;
    const std::string where = name + ":" + std::to_string(rows[r].line);
    auto cell = [&](int c) { return c >= 0 && c < int(fields.size()) ? trim(fields[c]) : std::string(); };
    auto skip = [&](const std::string& why) { m.skipped.push_back(where + ": " + why); };
    ManifestItem item;
    item.line = rows[r].line;
    const std::string path = cell(col.path);
    if (path.empty()) { skip("no path"); continue; }
    const std::filesystem::path p(path);
    item.path = p.is_absolute() ? p.string() : (base / p).lexically_normal().string();
    if (options.check_files) {
      std::error_code ec;
      const auto status = std::filesystem::status(item.path, ec);
      if (!std::filesystem::is_regular_file(status)) {
        skip(item.path + (std::filesystem::is_directory(status) ? ": is a folder, not a file" : ": no such file"));
        continue;
      }
    }

    if (col.x >= 0) {
      const std::string x = cell(col.x), y = cell(col.y), w = cell(col.w), h = cell(col.h);
      if (!(x.empty() && y.empty() && w.empty() && h.empty())) {
        std::int64_t v[4];
        const std::string* text[4] = {&x, &y, &w, &h};
        bool ok = true;
        for (int k = 0; k < 4; ++k) ok = ok && parse_int(*text[k], v[k]) && v[k] >= 0 && v[k] <= 1'000'000;
        if (!ok || v[2] == 0 || v[3] == 0) {
          skip("bad region '" + x + "," + y + "," + w + "," + h + "' (x,y >= 0 and w,h > 0, integers)");
          continue;
        }
        item.roi = image::Roi{int(v[0]), int(v[1]), int(v[2]), int(v[3])};
      }
    }

    if (m.has_labels) {
      item.label_text = cell(col.label);
      const std::string l = lower(item.label_text);
      if (m.multiclass) {
        const auto it = std::find(m.classes.begin(), m.classes.end(), item.label_text);
        if (it != m.classes.end()) item.label = int(it - m.classes.begin());
      } else if (l == "pass" || l == "0") {
        item.label = 0;
      } else if (l == "fail" || l == "1") {
        item.label = 1;
      }
      if (item.label < 0 && (options.need_labels || !item.label_text.empty())) {
        std::string known;
        for (const auto& c : m.classes) known += (known.empty() ? "" : ", ") + c;
        skip("unknown label '" + item.label_text + "' (expected " + known +
             (m.multiclass ? ")" : ", 0 or 1; multi-class manifests need --classes)"));
        continue;
      }
    }

    if (m.has_time) {
      const std::string t = cell(col.time);
      bool iso = false;
      if (!parse_time(t, item.time, iso)) {
        if (options.need_time || !t.empty()) {
          skip("unparsable time '" + t + "' (an integer or ISO-8601 such as 2024-05-01T08:30:00Z)");
          continue;
        }
      } else if (time_kind < 0) {
        time_kind = iso, time_kind_line = rows[r].line;
      } else if (time_kind != int(iso)) {
        skip("time '" + t + "' is " + (iso ? "ISO-8601" : "an integer") + " but line " + std::to_string(time_kind_line) +
             "'s is " + (iso ? "an integer" : "ISO-8601") + "; use one kind");
        continue;
      }
    }
    item.group = cell(col.group);
    m.items.push_back(std::move(item));
  }
  drop_duplicates(m, name);
  return m;
}

}  // namespace aoi::pipeline
