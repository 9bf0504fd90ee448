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

// Durability::kRenameOnly skips both fsyncs: still never torn, but a crash
// may lose the file. For entries that are verified when read and cheap to
// make again (the feature cache), where an fsync each would dominate.
enum class Durability { kDurable, kRenameOnly };

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                           Durability durability = Durability::kDurable);
void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           Durability durability = Durability::kDurable);
// The same for a file made of pieces, written in order (no joined copy).
void write_pieces_atomically(const std::filesystem::path& path, std::span<const std::span<const std::uint8_t>> pieces,
                             Durability durability = Durability::kDurable);

// fsync of a folder, so that entries made or renamed in it survive a crash;
// throws aoi::Error(kIo) naming the folder when it fails.
void sync_folder(const std::filesystem::path& folder);

}  // namespace aoi::io
