#include "weights/location.hpp"

#include "aoi/error.hpp"

#include <cstdlib>

namespace aoi::weights {

std::filesystem::path default_location() {
  if (const char* env = std::getenv("AOI_WEIGHTS"); env && *env) return env;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  const std::filesystem::path base = xdg && *xdg ? std::filesystem::path(xdg)
                                     : home && *home ? std::filesystem::path(home) / ".local/share"
                                                     : std::filesystem::path(".");
  return base / "aoi" / "resnet50-imagenet.aoiw";
}

std::filesystem::path resolve_location(const std::filesystem::path& given) {
  if (!given.empty()) return given;
  const auto path = default_location();
  if (!std::filesystem::exists(path))
    throw Error(ErrorKind::kIo,
                path.string() + ": no weight file here; run weights/fetch.sh, or pass --weights FILE or set AOI_WEIGHTS");
  return path;
}

}  // namespace aoi::weights
