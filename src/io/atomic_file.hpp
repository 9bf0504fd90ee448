// The one way aoi writes an output file: a unique temporary file in the
// target's folder, written, flushed and fsynced, then renamed over the target,
// and the folder fsynced. Readers see the old file or the new one, never a
// torn one; on any error the old file is untouched, the temporary removed,
// and aoi::Error(kIo) names the path and the cause (e.g. "No space left").
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace aoi::io {

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace aoi::io
