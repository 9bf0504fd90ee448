// The manifest: the CSV that lists what to inspect (docs/manifest.md).
//
//   path,label,time[,group][,x,y,w,h]
//
// path   image file, relative to the manifest's folder or absolute
// label  pass/fail (or 0/1); with a class list, a class name (multi-class)
// time   an integer, or ISO-8601 (2024-05-01, 2024-05-01T08:30:00Z, ...)
// group  items that must stay in one cross-validation fold (default: none)
// x,y,w,h  a region of the image (all four, or none)
//
// A bad row (missing file, unknown label, unparsable time or region) is
// skipped and reported by line; a bad header is an error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/preprocess.hpp"

namespace aoi::pipeline {

struct ManifestItem {
  std::size_t line = 0;                // in the manifest, for messages
  std::string path;                    // resolved against the manifest's folder
  std::optional<image::Roi> roi;
  std::string label_text;              // as written; empty without a label column
  int label = -1;                      // 0 pass / 1 fail, or a class index; -1 none
  std::int64_t time = 0;               // integer as written, or ms since 1970 for ISO-8601
  std::string group;                   // empty: the item is a group of its own

  std::string describe() const;        // "path" or "path [x,y,w,h]"
};

struct ManifestOptions {
  bool need_labels = false;            // train / evaluate: a label column is required
  bool need_time = false;              // time-based CV: a time column is required
  bool check_files = true;             // a missing file skips the row
  // Multi-class: the class names in order. Empty: binary (pass/fail or 0/1),
  // unless `discover_classes`, which takes them from the labels ("pass" first,
  // then the rest sorted).
  std::vector<std::string> classes;
  bool discover_classes = false;
};

struct Manifest {
  std::filesystem::path file;
  std::vector<std::string> classes;    // {"pass", "fail"} for a binary manifest
  bool multiclass = false;
  bool has_labels = false, has_time = false;
  std::vector<ManifestItem> items;     // the good rows, in file order
  std::vector<std::string> skipped;    // "file:line: why" for each bad row
  std::vector<std::string> warnings;   // "file:line: why" for rows kept out but harmless (exact duplicates)
};

Manifest read_manifest(const std::filesystem::path& file, const ManifestOptions& options = {});
// The same on the CSV text; relative paths resolve against file's folder.
Manifest parse_manifest(std::string_view text, const std::filesystem::path& file, const ManifestOptions& options = {});

// "123" or ISO-8601 to a sortable integer; false if neither. `iso` tells which.
bool parse_time(const std::string& text, std::int64_t& value, bool& iso);

}  // namespace aoi::pipeline
