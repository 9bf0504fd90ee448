// A quick reading of a bundle file as save_bundle writes it (nlohmann's
// indented dump, keys sorted). The seal (checksum) is a hash of the
// document's compact dump without its "checksum" and "model_version"
// members, and the compact dump is the indented one without the whitespace
// between tokens: so the seal can be checked on the file's own bytes, and
// the megabytes of base64 of the memory banks are neither lexed into JSON
// strings nor serialised again. Whitespace between tokens does not matter
// (another indent passes); a file spelled otherwise (other number
// spellings, escapes, key order) fails this check and is read the slow way
// (parse_bundle), which decides.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aoi::pipeline::detail {

struct BundleText {
  // Strings and brackets balance, and the text is one JSON object; when
  // false, nothing else here is meaningful.
  bool well_formed = false;
  // XXH3-64 of the text without whitespace between tokens and without the
  // top-level "checksum" and "model_version" members: the seal, when the
  // file is as save_bundle wrote it.
  std::uint64_t sealed_hash = 0;
  // The text without whitespace between tokens, the "f32_base64" string of
  // every element of anomaly.banks emptied: what JSON parsing then reads.
  std::string reduced;
  // The bodies of those strings, in the order of the text (views into it).
  std::vector<std::string_view> blobs;
  // Where each top-level member's value lies in `reduced`.
  struct Member {
    std::string key;  // as spelled in the text, escapes and all
    std::size_t begin = 0, end = 0;
  };
  std::vector<Member> members;
  // The compact text of the top-level member `key`'s value (blobs emptied;
  // the last one if the key repeats), or an empty view if there is none.
  std::string_view member(std::string_view key) const;
};

BundleText scan_bundle_text(std::string_view text);

}  // namespace aoi::pipeline::detail
