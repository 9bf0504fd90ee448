// A trained gradient-boosted tree model, its file formats (versioned JSON and a
// compact binary, both documented in docs/gbdt-model.md) and the predictor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace aoi::gbdt {

// One tree as flat arrays. Internal node i sends a row left when its value of
// feature[i] is <= threshold[i] (NaN follows default_left[i]). A child c >= 0
// is an internal node, c < 0 is the leaf ~c. A tree with no internal node is
// the single leaf 0. Children always have larger indices than their parent.
struct Tree {
  std::vector<std::int32_t> feature;
  std::vector<float> threshold;
  std::vector<std::uint8_t> default_left;
  std::vector<std::int32_t> left, right;
  std::vector<double> gain;  // loss reduction of each split (for importance)
  std::vector<double> leaf_value;

  int leaf_index(const float* row) const;
};

struct Model {
  std::string objective = "binary";  // binary | multiclass
  int num_class = 1;                 // 1 for binary
  int num_features = 0;
  std::vector<double> base_score;    // initial margin per output
  std::vector<Tree> trees;           // round-major: tree r * outputs + k is output k of round r
  std::vector<std::pair<std::string, std::string>> metadata;  // parameters and training facts

  int outputs() const { return objective == "binary" ? 1 : num_class; }
  int rounds() const { return outputs() ? int(trees.size()) / outputs() : 0; }
  // Throws if a caller's feature count differs from the model's.
  void check_feature_count(std::size_t count, const std::string& context) const;
  // Structural checks run after loading (indices in range, children after parents).
  void validate(const std::string& context) const;

  enum class Importance { kSplitCount, kTotalGain };
  std::vector<double> importance(Importance kind) const;
};

void save_json(const Model& model, const std::filesystem::path& path);
Model load_json(const std::filesystem::path& path);
std::string to_json_text(const Model& model);
Model from_json_text(const std::string& text, const std::string& name);

void save_binary(const Model& model, const std::filesystem::path& path);
Model load_binary(const std::filesystem::path& path);
std::vector<std::uint8_t> to_binary(const Model& model);
Model from_binary(std::span<const std::uint8_t> bytes, const std::string& name);

// By extension: .json is JSON, anything else binary. load_model sniffs the content.
void save_model(const Model& model, const std::filesystem::path& path);
Model load_model(const std::filesystem::path& path);

// The inference form: all trees flattened into one node array, no training
// data. Immutable; safe to share between threads.
class Predictor {
 public:
  explicit Predictor(const Model& model);

  int num_features() const { return num_features_; }
  int outputs() const { return outputs_; }
  // Raw margins of one row (outputs() values).
  void predict_raw(const float* row, double* out) const;
  // Probabilities of one row: sigmoid (binary) or softmax (multiclass).
  void predict_proba(const float* row, float* out) const;
  // rows x outputs() probabilities, rows in parallel on `threads` (0 = all cores).
  std::vector<float> predict_batch(std::span<const float> features, std::size_t rows, int threads = 0) const;

 private:
  // Children of a node sit side by side (right = left + 1) and a leaf points
  // at itself with an always-true test, so a step is branch-free:
  // next = left + go_right. Trees are walked eight at a time in lockstep for
  // a fixed number of steps (the deepest of the eight), which hides the
  // latency of each dependent load behind the other seven.
  struct Node {
    std::int32_t feature;
    float threshold;
    std::int32_t left;
    std::int32_t default_left;
  };
  static constexpr int kLanes = 8;
  std::vector<Node> nodes_;
  std::vector<double> values_;       // leaf value per node (0 for internal nodes)
  std::vector<std::int32_t> roots_;  // one per tree
  std::vector<std::int32_t> group_depth_;  // steps for each group of kLanes trees
  std::vector<double> base_score_;
  int outputs_ = 1, num_features_ = 0;
  bool softmax_ = false;
};

}  // namespace aoi::gbdt
