// The model registry: a folder of immutable model versions and a pointer to
// the one in service.
//
//   DIR/versions/<model_version>/model.json   a bundle, read-only, never rewritten
//   DIR/versions/<model_version>/gate.{json,html}   the promotion gate's report
//   DIR/current                                the version in service (one line)
//   DIR/history.json                           every switch: who, when, from, to
//
// `current` and `history.json` are replaced atomically (temporary file,
// fsync, rename, folder fsync), under an exclusive lock on DIR/.lock, so a
// reader (aoi serve polling the registry) sees the old pointer or the new.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace aoi::registry {

struct Switch {
  std::string at, who, action;  // action: promote or rollback
  std::string version;          // the version put in service
  std::string previous;         // the one it replaced ("" when none)
};

struct VersionInfo {
  std::string version, created;
  bool current = false;
};

class Registry {
 public:
  explicit Registry(std::filesystem::path dir);  // creates DIR/versions when absent

  // Checks the bundle (it must load) and stores it under its model_version;
  // adding the same version again is a no-op. Returns the version.
  std::string add(const std::filesystem::path& bundle);
  std::vector<VersionInfo> list() const;
  bool contains(const std::string& version) const;
  std::optional<std::string> current() const;
  std::filesystem::path bundle_path(const std::string& version) const;
  std::filesystem::path version_dir(const std::string& version) const;
  // Puts `version` in service; returns the switch recorded. With `expected`,
  // only if that is still the version in service (a gate judged against it).
  Switch promote(const std::string& version, const std::string& who,
                 const std::optional<std::string>& expected = std::nullopt);
  // Back to the version the current one replaced when it was promoted.
  Switch rollback(const std::string& who);
  std::vector<Switch> history() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  Switch record(const std::string& action, const std::string& version, const std::string& who);
  std::filesystem::path dir_;
};

}  // namespace aoi::registry
