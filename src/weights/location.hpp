// Where aoi looks for its weight file when the caller names none.
#pragma once

#include <filesystem>

namespace aoi::weights {

// $AOI_WEIGHTS if set, else ${XDG_DATA_HOME:-~/.local/share}/aoi/resnet50-imagenet.aoiw
// (where weights/fetch.sh writes). The file need not exist.
std::filesystem::path default_location();

// `given` when not empty, else default_location(), which must then exist
// (throws aoi::Error naming the path and how to get the weights).
std::filesystem::path resolve_location(const std::filesystem::path& given);

}  // namespace aoi::weights
