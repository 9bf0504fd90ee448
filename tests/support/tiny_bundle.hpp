// A tiny ResNet weight file and a model bundle trained on its features, for
// tests of the Inspector and the C API that must not need the real weights.
#pragma once

#include <filesystem>

namespace aoi::test {

struct TinyBundle {
  std::filesystem::path weights, bundle;
};

// Writes DIR/tiny.aoiw (or uses `weights` when given) and DIR/model.json, a
// bundle whose P(fail) grows with an image's brightness; with
// `invert_labels`, one trained on inverted labels (a deliberately bad model,
// whose P(fail) falls with brightness).
TinyBundle make_tiny_bundle(const std::filesystem::path& dir, const std::filesystem::path& weights = {},
                            bool invert_labels = false);

}  // namespace aoi::test
