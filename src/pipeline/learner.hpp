// What each mode (pipeline/mode.hpp) learns from labelled rows, and how the
// learnt model scores a row: one place for time-CV, `aoi train` and the
// Inspector, so the three can never disagree.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "anomaly/memory_bank.hpp"
#include "gbdt/model.hpp"
#include "pipeline/evaluate.hpp"

namespace aoi::pipeline {

struct Learned {
  Mode mode = Mode::kSupervised;
  gbdt::Model model;                       // supervised and combined
  std::vector<anomaly::MemoryBank> banks;  // anomaly: one; combined: two halves of the pass items
};

// Learns from `rows` of `data` (anomaly mode reads only their pass items).
Learned learn(const LabelledData& data, std::span<const std::size_t> rows, const EvaluateOptions& options);

// Scores rows laid out as the engine makes them: `recipe_dim` features, then
// (anomaly and combined) `patch_count` patches of `patch_dim` floats.
class RowScorer {
 public:
  // `model` (modes with a GBDT) and `banks` (modes with patches) must
  // outlive the scorer.
  RowScorer(Mode mode, const gbdt::Model& model, std::span<const anomaly::MemoryBank> banks, std::size_t recipe_dim,
            int patch_count, int patch_dim);
  int outputs() const { return outputs_; }
  // Per-call working memory; reuse one per thread to avoid allocating.
  struct Scratch {
    std::vector<float> search, input;
  };
  // Class probabilities of one row (outputs() floats; binary: P(fail)).
  // `skip` is the bank (combined mode) that this row helped build, -1 for
  // none. `patch_distances` (patch_count floats; may be null) receives each
  // patch's distance to the bank(s), when the mode has one.
  void score(const float* row, float* proba, Scratch& scratch, int skip = -1, float* patch_distances = nullptr) const;
  bool has_banks() const { return !banks_.empty(); }
  int patch_count() const { return patch_count_; }

 private:
  Mode mode_;
  std::span<const anomaly::MemoryBank> banks_;
  std::optional<gbdt::Predictor> predictor_;
  std::size_t recipe_dim_;
  int patch_count_, patch_dim_, outputs_;
};

// rows.size() x outputs probabilities of `rows` of `data`, rows in parallel.
std::vector<float> score_rows(const Learned& learned, const LabelledData& data, std::span<const std::size_t> rows,
                              const EvaluateOptions& options);

}  // namespace aoi::pipeline
