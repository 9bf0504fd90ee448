// Runs the aoi binary (AOI_CLI_PATH) with arguments, capturing its output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace aoi::test {

struct Run {
  int code;
  std::string output;  // stdout and stderr together
};

// `shell_prefix` runs first in the same shell (e.g. "ulimit -f 0; ").
inline Run run_limited(const std::string& shell_prefix, const std::string& args) {
  const std::string cmd = shell_prefix + std::string(AOI_CLI_PATH) + " " + args + " 2>&1";
  Run r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline Run run(const std::string& args) { return run_limited("", args); }

}  // namespace aoi::test
