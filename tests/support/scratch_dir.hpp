// A directory of one test process under the system's temp directory,
// removed when that process exits normally (failed tests included), so that
// repeated runs leave nothing behind. Each directory is removed only by the
// process that made it: a forked child's exit leaves its parent's alone.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace aoi::test {

namespace scratch_detail {
struct Registry {
  std::mutex mutex;
  std::vector<std::pair<std::filesystem::path, pid_t>> dirs;  // and the process that made each
};
inline Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry;  // never destroyed: the exit handler reads it
    std::atexit([] {
      Registry& reg = registry();
      std::error_code ignored;
      for (const auto& [dir, owner] : reg.dirs)
        if (owner == ::getpid()) std::filesystem::remove_all(dir, ignored);
    });
    return made;
  }();
  return *r;
}
}  // namespace scratch_detail

// <temp>/<prefix>_<pid>, created if missing and removed at exit.
inline std::filesystem::path process_scratch(const std::string& prefix) {
  const auto dir = std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()));
  auto& reg = scratch_detail::registry();
  {
    std::lock_guard<std::mutex> lock(reg.mutex);
    bool known = false;
    for (const auto& entry : reg.dirs) known = known || entry.first == dir;
    if (!known) reg.dirs.emplace_back(dir, ::getpid());
  }
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace aoi::test
