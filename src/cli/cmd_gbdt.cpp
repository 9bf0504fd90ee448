// aoi gbdt: train and apply gradient-boosted trees on any N x D float32 .npy
// features, independent of the trunk.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>

#include "core/require.hpp"
#include "io/atomic_file.hpp"
#include "io/image.hpp"
#include "io/label_column.hpp"
#include "gbdt/train.hpp"
#include "io/npy.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace aoi::cli {
namespace {

struct Matrix {
  std::vector<float> values;
  std::size_t rows = 0, cols = 0;
};

Matrix read_features(const std::string& path) {
  auto a = io::read_npy(path);
  require(a.shape.size() == 2, ErrorKind::kBadData, path, "features must be a 2-d N x D array");
  return {std::move(a.values), std::size_t(a.shape[0]), std::size_t(a.shape[1])};
}

// Labels from a .npy (any numeric dtype) or a one-column CSV (a non-numeric
// first line is a header). Errors name the line.
std::vector<float> read_labels(const std::string& path) {
  if (path.size() >= 4 && path.substr(path.size() - 4) == ".npy") return io::read_npy(path).values;
  const auto bytes = io::read_file(path, std::int64_t(1) << 32);
  return io::parse_label_column(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

void write_predictions(const std::string& path, const std::vector<float>& p, std::size_t rows, int outputs) {
  if (path.size() >= 4 && path.substr(path.size() - 4) == ".csv") {
    std::ostringstream out;
    for (int k = 0; k < outputs; ++k) out << (k ? "," : "") << (outputs == 1 ? "probability" : "p" + std::to_string(k));
    out << "\n";
    char buf[32];
    for (std::size_t i = 0; i < rows; ++i) {
      for (int k = 0; k < outputs; ++k) {
        std::snprintf(buf, sizeof buf, "%.9g", p[i * outputs + k]);
        out << (k ? "," : "") << buf;
      }
      out << "\n";
    }
    io::write_file_atomically(path, out.str());
    return;
  }
  if (outputs == 1) io::write_npy(path, {std::int64_t(rows)}, p.data());
  else io::write_npy(path, {std::int64_t(rows), outputs}, p.data());
}

}  // namespace

Command add_gbdt(CLI::App& app) {
  struct Args {
    std::string features, labels, weights, valid_features, valid_labels, model, output, importance = "gain";
    std::vector<std::string> params;
    int threads = 0, top = 20;
  };
  auto a = std::make_shared<Args>();
  auto* gbdt = app.add_subcommand("gbdt", "Gradient-boosted trees on feature matrices (.npy)");

  auto* train = gbdt->add_subcommand("train", "Train a model on N x D float32 features and labels");
  train->add_option("--features", a->features, "N x D .npy of training features")->required();
  train->add_option("--labels", a->labels, "labels: .npy, or a CSV with one column (0/1, or class index)")->required();
  train->add_option("--sample-weights", a->weights, "optional weight of each training row (.npy or one-column CSV)");
  train->add_option("--valid-features", a->valid_features, "validation features, for the metric and early stopping");
  train->add_option("--valid-labels", a->valid_labels, "validation labels");
  train->add_option("-p,--param", a->params, "a parameter as name=value (repeatable; list: aoi gbdt params)");
  train->add_option("--threads", a->threads, "threads (0 = all cores); the model does not depend on it")->check(CLI::Range(0, 1024));
  train->add_option("-o,--output", a->output, "model file: .json (JSON) or .aoig (binary)")
      ->required()
      ->check(output_extensions({".json", ".aoig"}));

  auto* predict = gbdt->add_subcommand("predict", "Predict probabilities with a trained model");
  predict->add_option("--model", a->model, "model file (JSON or binary)")->required();
  predict->add_option("--features", a->features, "N x D .npy of features")->required();
  predict->add_option("--threads", a->threads, "threads (0 = all cores)")->check(CLI::Range(0, 1024));
  predict->add_option("-o,--output", a->output, "predictions: .csv, or .npy (N, or N x classes)")
      ->required()
      ->check(output_extensions({".csv", ".npy"}));

  auto* params = gbdt->add_subcommand("params", "List every training parameter with its default, range and meaning");

  auto* importance = gbdt->add_subcommand("importance", "Feature importance of a model");
  importance->add_option("--model", a->model, "model file")->required();
  importance->add_option("--type", a->importance, "gain (total loss reduction) or split (count)")
      ->check(CLI::IsMember({"gain", "split"}));
  importance->add_option("--top", a->top, "features to list")->check(CLI::Range(1, 1 << 24));

  return [a, train, predict, params, importance]() -> int {
    if (params->parsed()) {
      for (const auto& p : gbdt::param_table())
        std::printf("%-24s %-7s default %-8s range %-26s %s\n", p.name.c_str(), p.type.c_str(),
                    p.default_value.empty() ? "-" : p.default_value.c_str(), p.range.c_str(), p.description.c_str());
      return 0;
    }
    if (train->parsed()) {
      auto assignments = a->params;
      assignments.push_back("threads=" + std::to_string(a->threads));
      const auto p = gbdt::parse_params(assignments);
      const Matrix x = read_features(a->features);
      const auto y = read_labels(a->labels);
      const auto w = a->weights.empty() ? std::vector<float>{} : read_labels(a->weights);
      gbdt::DataView data{x.values.data(), x.rows, x.cols, y, w};
      Matrix vx;
      std::vector<float> vy;
      gbdt::DataView valid;
      if (!a->valid_features.empty()) {
        require(!a->valid_labels.empty(), ErrorKind::kInvalidArgument, "--valid-features", "needs --valid-labels");
        vx = read_features(a->valid_features);
        vy = read_labels(a->valid_labels);
        valid = {vx.values.data(), vx.rows, vx.cols, vy, {}};
      }
      const auto start = std::chrono::steady_clock::now();
      const auto model = gbdt::train(p, data, a->valid_features.empty() ? nullptr : &valid, [&](const gbdt::RoundLog& log) {
        if (!a->valid_features.empty() && ((log.round + 1) % 10 == 0 || log.round == 0))
          std::fprintf(stderr, "round %4d  valid %s %.5f  %.1fs\n", log.round + 1, p.metric.c_str(), log.valid_metric,
                       log.train_seconds);
      });
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      gbdt::save_model(model, a->output);
      std::size_t leaves = 0;
      for (const auto& tree : model.trees) leaves += tree.leaf_value.size();
      std::fprintf(stderr, "aoi: trained %d rounds (%zu leaves) on %zu x %zu in %.2f s; wrote %s\n", model.rounds(),
                   leaves, x.rows, x.cols, seconds, a->output.c_str());
      return 0;
    }
    if (predict->parsed()) {
      const auto model = gbdt::load_model(a->model);
      const Matrix x = read_features(a->features);
      model.check_feature_count(x.cols, a->features);
      const gbdt::Predictor predictor(model);
      const auto p = predictor.predict_batch(x.values, x.rows, a->threads);
      write_predictions(a->output, p, x.rows, predictor.outputs());
      std::fprintf(stderr, "aoi: wrote %zu predictions to %s\n", x.rows, a->output.c_str());
      return 0;
    }
    const auto model = gbdt::load_model(a->model);
    const auto values = model.importance(a->importance == "gain" ? gbdt::Model::Importance::kTotalGain
                                                                  : gbdt::Model::Importance::kSplitCount);
    std::vector<int> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return values[x] > values[y]; });
    for (int i = 0; i < std::min<int>(a->top, int(order.size())); ++i)
      std::printf("%6d  %.6g\n", order[i], values[order[i]]);
    return 0;
  };
}

}  // namespace aoi::cli
