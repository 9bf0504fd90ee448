#include "aoi/weights/location.hpp"

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

}  // namespace aoi::weights
