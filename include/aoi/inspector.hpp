// aoi::Inspector: the C++ face of aoi. It loads a model bundle (from `aoi
// train`) and the ResNet-50 trunk it was trained on, once, and then turns an
// inspection image, or a region of it, into P(fail) and a verdict: pass,
// review or fail by the bundle's thresholds.
//
//   aoi::Inspector inspector = aoi::Inspector::open("model.json", {.threads = 2});
//   aoi::Inspection r = inspector.inspect_file("board.png", aoi::Region{100, 80, 96, 96});
//   if (r.verdict == aoi::Verdict::kFail) ...
//
// Thread safety: every const member may be called from any number of threads
// at once. Memory: after a call on an image of some size, further calls on
// images no larger allocate nothing in inspect() and inspect_batch() (decoding
// a file in inspect_file() does). Errors are thrown as aoi::Error
// (aoi/error.hpp) with a message naming the file or argument and the problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aoi/error.hpp"
#include "aoi/export.h"

namespace aoi {

enum class Verdict { kPass = 0, kReview = 1, kFail = 2 };
AOI_API const char* verdict_name(Verdict verdict);  // "pass", "review", "fail"

// A rectangle in pixels; it must lie inside the image.
struct Region {
  int x = 0, y = 0, width = 0, height = 0;
};

// Borrowed 8-bit pixels: `channels` 1 (grey) or 3 (RGB interleaved), rows
// `stride_bytes` apart (at least width * channels).
struct PixelView {
  const std::uint8_t* data = nullptr;
  int width = 0, height = 0;
  std::ptrdiff_t stride_bytes = 0;
  int channels = 3;
};

struct Inspection {
  float p_fail = 0;  // P(defect) by the bundle's model, 0..1
  Verdict verdict = Verdict::kPass;
  int class_index = -1;  // multiclass bundles: the most probable class (0 is "pass"); else -1
};

// Where the evidence lies (Inspector::explain): a width x height grid, row by
// row, over the region as the trunk saw it (after the bundle's resize
// policy), values in [0, 1], higher meaning more suspicious.
struct Heatmap {
  enum class Kind {
    kNone,
    // Anomaly and combined bundles: each patch's distance d to the memory
    // bank as d / (d + scale), the mapping of the anomaly score.
    kPatchDistance,
    // Supervised bundles: how far P(fail) falls when the cell is left out of
    // the feature pooling (a cell of res4's grid: 14 x 14 at 224 input).
    kOcclusion,
  };
  Kind kind = Kind::kNone;
  int width = 0, height = 0;
  std::vector<float> values;
};

struct InspectorOptions {
  int threads = 0;                    // 0: all cores; else 1..1024
  std::filesystem::path weights = {};  // empty: $AOI_WEIGHTS, else ${XDG_DATA_HOME:-~/.local/share}/aoi/resnet50-imagenet.aoiw
  // A folder for pack files: the trunk's weights packed for this CPU, written
  // by the first open and mapped by every later one, which then starts in a
  // fraction of the time and shares the memory with other processes
  // (docs/embedding.md). Empty: $AOI_PACK_DIR if set ("off": none), else none.
  std::filesystem::path pack_dir = {};
  // Less memory for a slower float32 trunk: the direct convolution wherever
  // Winograd's transformed weights are large (docs/embedding.md, "Memory").
  // Also on when $AOI_COMPACT_WEIGHTS is 1 (the C API's way to ask).
  bool compact_weights = false;
};

// One item of a batch.
struct Sample {
  PixelView pixels;
  std::optional<Region> region;
};

class AOI_API Inspector {
 public:
  // Loads and checks the bundle and the weights (the bundle's weights identity
  // must match them). Throws aoi::Error naming the file on any problem.
  static Inspector open(const std::filesystem::path& bundle, const InspectorOptions& options = {});
  Inspector(Inspector&&) noexcept;
  Inspector& operator=(Inspector&&) noexcept;
  ~Inspector();

  Inspection inspect(const PixelView& pixels, const std::optional<Region>& region = std::nullopt) const;
  // Decodes a JPEG, PNG, TIFF or BMP file first.
  Inspection inspect_file(const std::filesystem::path& image, const std::optional<Region>& region = std::nullopt) const;
  // Decodes encoded image bytes; `name` prefixes error messages.
  Inspection inspect_encoded(std::span<const std::uint8_t> bytes, const std::string& name,
                             const std::optional<Region>& region = std::nullopt) const;
  // Several images in one pass of the trunk (faster per image at 1-2 threads
  // than one call each); out[i] belongs to samples[i]. Every sample is
  // checked before any work, so a bad one throws and inspects nothing.
  void inspect_batch(std::span<const Sample> samples, std::span<Inspection> out) const;

  // inspect() and a heatmap of the same image, from the same trunk pass.
  // Allocates (the activations it keeps); costs a few milliseconds more.
  Inspection explain(const PixelView& pixels, const std::optional<Region>& region, Heatmap& heatmap) const;
  Inspection explain_file(const std::filesystem::path& image, const std::optional<Region>& region,
                          Heatmap& heatmap) const;

  const std::string& model_version() const;  // "aoi-" + 16 hex digits
  const std::string& bundle_path() const;
  int threads() const;
  // The class names of the bundle; index 0 is "pass".
  std::span<const std::string> classes() const;

 private:
  friend struct InspectorAccess;
  struct State;
  explicit Inspector(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The library's version, "MAJOR.MINOR.PATCH" (aoi/version.h).
AOI_API const char* version();

}  // namespace aoi
