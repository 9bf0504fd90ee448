// A directory of one test process under the system's temp directory,
// removed when that process exits normally (failed tests included), so that
// repeated runs leave nothing behind. A forked child that exits does not
// remove it: the removal runs only in the process that made it.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace aoi::test {

namespace scratch_detail {
struct Registry {
  std::mutex mutex;
  pid_t owner = ::getpid();
  std::vector<std::filesystem::path> dirs;
};
inline Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry;  // never destroyed: the exit handler reads it
    std::atexit([] {
      Registry& reg = registry();
      if (::getpid() != reg.owner) return;
      std::error_code ignored;
      for (const auto& d : reg.dirs) std::filesystem::remove_all(d, ignored);
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
    for (const auto& d : reg.dirs) known = known || d == dir;
    if (!known) reg.dirs.push_back(dir);
  }
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace aoi::test
