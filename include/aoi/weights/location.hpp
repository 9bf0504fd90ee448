// Where aoi looks for its weight file when the caller names none.
#pragma once

#include <filesystem>

namespace aoi::weights {

// $AOI_WEIGHTS if set, else ${XDG_DATA_HOME:-~/.local/share}/aoi/resnet50-imagenet.aoiw
// (where weights/fetch.sh writes). The file need not exist.
std::filesystem::path default_location();

}  // namespace aoi::weights
