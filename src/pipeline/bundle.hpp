// The model bundle: everything scoring needs and nothing else (docs/bundle.md).
// One JSON file: the GBDT model, the identity of the trunk weights it was
// trained on, the preprocessing, the class names, the decision thresholds and
// training facts, sealed with a checksum so an edited or damaged bundle fails
// on load.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "anomaly/memory_bank.hpp"
#include "gbdt/model.hpp"
#include "image/preprocess.hpp"
#include "nn/feature_recipe.hpp"
#include "pipeline/mode.hpp"

namespace aoi::pipeline {

enum class Decision { kPass, kReview, kFail };
const char* decision_name(Decision d);

// score < pass_below: pass; score >= fail_from: fail; between: review.
struct Thresholds {
  double pass_below = 0.5;
  double fail_from = 0.5;
  Decision decide(double fail_score) const;
};

struct ModelBundle {
  static constexpr int kFormatVersion = 1;
  std::string model_version;            // "aoi-" + 16 hex of the content hash, set by save/seal
  std::string created;                  // ISO-8601 UTC
  std::string aoi_version;              // of the aoi that wrote it (empty: this one, when saving)
  std::uint64_t weights_hash = 0;       // payload hash of the trunk weights
  std::uint64_t feature_identity = 0;   // Engine::feature_identity of the trunk (0: not recorded, bundles before 0.2)
  std::string weights_source;           // for people
  image::ResizePolicy policy = image::ResizePolicy::kStretch;
  FeatureRecipe recipe = FeatureRecipe::kGlobal;  // preprocess.features; absent: global
  std::vector<std::string> classes{"pass", "fail"};  // class 0 is "pass"
  Thresholds thresholds;
  std::vector<std::pair<std::string, std::string>> training;  // facts: manifest, items, CV AUC, ...
  Mode mode = Mode::kSupervised;           // "mode"; absent: supervised
  gbdt::Model model;                       // supervised and combined modes
  std::vector<anomaly::MemoryBank> banks;  // anomaly (one) and combined (two) modes

  bool multiclass() const { return classes.size() > 2; }
};

void save_bundle(ModelBundle& bundle, const std::filesystem::path& path);  // also sets model_version
ModelBundle load_bundle(const std::filesystem::path& path);
// The same on the file's bytes; `name` prefixes errors.
ModelBundle parse_bundle(std::span<const std::uint8_t> bytes, const std::string& name);

// A 64-bit hash as bundles write it (weights hash, checksum): 16 lower-case hex digits.
std::string hash_hex(std::uint64_t hash);

}  // namespace aoi::pipeline
