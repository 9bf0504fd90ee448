#include "pipeline/learner.hpp"

#include <algorithm>

#include "core/parallel.hpp"
#include "core/require.hpp"
#include "gbdt/train.hpp"

namespace aoi::pipeline {
namespace {

std::vector<const float*> patches_of(const LabelledData& data, std::span<const std::size_t> rows) {
  std::vector<const float*> out;
  out.reserve(rows.size());
  for (std::size_t r : rows) out.push_back(data.row(r) + data.cols);
  return out;
}

anomaly::MemoryBank bank_of(const LabelledData& data, std::span<const std::size_t> rows, const EvaluateOptions& o) {
  require(!rows.empty(), ErrorKind::kInvalidArgument, "anomaly mode",
          "no pass item to learn from (the training block holds fails only)");
  const auto images = patches_of(data, rows);
  return anomaly::MemoryBank::build(images, data.patch_count, data.patch_dim, o.bank, o.params.threads);
}

gbdt::Model train_gbdt(const LabelledData& data, std::span<const std::size_t> rows, const EvaluateOptions& o,
                       std::span<const float> extra_column) {
  const std::size_t cols = data.cols + (extra_column.empty() ? 0 : 1);
  std::vector<float> x(rows.size() * cols), y(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::copy_n(data.row(rows[r]), data.cols, x.data() + r * cols);
    if (!extra_column.empty()) x[r * cols + data.cols] = extra_column[r];
    y[r] = float(data.labels[rows[r]]);
  }
  return gbdt::train(params_for(o.params, data.num_classes), gbdt::DataView{x.data(), rows.size(), cols, y, {}});
}

}  // namespace

Learned learn(const LabelledData& data, std::span<const std::size_t> rows, const EvaluateOptions& options) {
  Learned out;
  out.mode = options.mode;
  if (options.mode == Mode::kSupervised) {
    out.model = train_gbdt(data, rows, options, {});
    return out;
  }
  require(data.patch_count > 0 && data.patch_dim > 0, ErrorKind::kInvalidArgument, mode_name(options.mode),
          "the rows carry no patch grid (featurize with patches)");
  require(options.mode != Mode::kAnomaly || data.num_classes == 2, ErrorKind::kInvalidArgument, "anomaly mode",
          "scores pass against everything else: use two classes (pass, fail)");
  std::vector<std::size_t> good;
  for (std::size_t r : rows)
    if (data.labels[r] == 0) good.push_back(r);
  if (options.mode == Mode::kAnomaly) {
    out.banks.push_back(bank_of(data, good, options));
    return out;
  }
  // Combined: the anomaly score is a GBDT feature, and a pass item scored
  // against a bank it is in looks perfectly normal. So the pass items are
  // split in two halves (alternately, in the order given), each half builds a
  // bank, and a training row is scored only by the bank it did not build.
  require(good.size() >= 2, ErrorKind::kInvalidArgument, "combined mode", "needs at least two pass items");
  std::vector<std::size_t> half[2];
  std::vector<int> bank_of_row(data.rows, -1);
  for (std::size_t k = 0; k < good.size(); ++k) {
    half[k % 2].push_back(good[k]);
    bank_of_row[good[k]] = int(k % 2);
  }
  out.banks.push_back(bank_of(data, half[0], options));
  out.banks.push_back(bank_of(data, half[1], options));
  std::vector<float> score(rows.size());
  par::Arena arena(options.params.threads);
  std::vector<std::vector<float>> scratch(std::size_t(arena.threads()));
  arena.execute([&] {
    par::for_each_index(0, int(rows.size()), [&](int r) {
      auto& s = scratch[std::size_t(par::current_thread_index())];
      score[r] = anomaly::anomaly_score(out.banks, data.row(rows[r]) + data.cols, data.patch_count,
                                        bank_of_row[rows[r]], nullptr, s);
    });
  });
  out.model = train_gbdt(data, rows, options, score);
  return out;
}

RowScorer::RowScorer(Mode mode, const gbdt::Model& model, std::span<const anomaly::MemoryBank> banks,
                     std::size_t recipe_dim, int patch_count, int patch_dim)
    : mode_(mode), banks_(banks), recipe_dim_(recipe_dim), patch_count_(patch_count), patch_dim_(patch_dim) {
  if (mode_uses_gbdt(mode)) {
    predictor_.emplace(model);
    outputs_ = predictor_->outputs();
  } else {
    outputs_ = 1;
  }
  require(mode == Mode::kSupervised || (!banks.empty() && patch_count > 0), ErrorKind::kInvalidArgument,
          mode_name(mode), "needs a memory bank and rows with a patch grid");
  for (const auto& bank : banks)
    require(bank.dim() == patch_dim, ErrorKind::kInvalidArgument, mode_name(mode),
            "the memory bank's patches have " + std::to_string(bank.dim()) + " floats, the rows' " +
                std::to_string(patch_dim));
}

void RowScorer::score(const float* row, float* proba, Scratch& s, int skip, float* patch_distances) const {
  if (mode_ == Mode::kSupervised) {
    predictor_->predict_proba(row, proba);
    return;
  }
  const float a = anomaly::anomaly_score(banks_, row + recipe_dim_, patch_count_, skip, patch_distances,
                                         s.search);
  if (mode_ == Mode::kAnomaly) {
    proba[0] = a;
    return;
  }
  s.input.resize(recipe_dim_ + 1);
  std::copy_n(row, recipe_dim_, s.input.data());
  s.input[recipe_dim_] = a;
  predictor_->predict_proba(s.input.data(), proba);
}

std::vector<float> score_rows(const Learned& learned, const LabelledData& data, std::span<const std::size_t> rows,
                              const EvaluateOptions& options) {
  const RowScorer scorer(learned.mode, learned.model, learned.banks, data.cols, data.patch_count, data.patch_dim);
  const int outputs = scorer.outputs();
  std::vector<float> proba(rows.size() * outputs);
  if (learned.mode == Mode::kSupervised) {
    std::vector<float> x(rows.size() * data.cols);
    for (std::size_t r = 0; r < rows.size(); ++r) std::copy_n(data.row(rows[r]), data.cols, x.data() + r * data.cols);
    return gbdt::Predictor(learned.model).predict_batch(x, rows.size(), options.params.threads);
  }
  par::Arena arena(options.params.threads);
  std::vector<RowScorer::Scratch> scratch(std::size_t(arena.threads()));
  arena.execute([&] {
    par::for_each_index(0, int(rows.size()), [&](int r) {
      scorer.score(data.row(rows[r]), proba.data() + std::size_t(r) * outputs,
                   scratch[std::size_t(par::current_thread_index())]);
    });
  });
  return proba;
}

}  // namespace aoi::pipeline
