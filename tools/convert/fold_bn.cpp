#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/require.hpp"
#include "convert.hpp"

namespace aoi::convert {

void add_folded_conv(weights::WeightWriter& out, const std::string& name, const std::vector<std::int64_t>& shape,
                     const std::vector<float>& oihw, const std::vector<float>& conv_bias, const BatchNorm& bn) {
  const std::size_t o = static_cast<std::size_t>(shape.at(0));
  const std::size_t per_out = oihw.size() / o;
  const bool sizes_ok = bn.gamma.size() == o && bn.beta.size() == o && bn.mean.size() == o && bn.variance.size() == o &&
                        (conv_bias.empty() || conv_bias.size() == o) && per_out * o == oihw.size();
  require(sizes_ok, ErrorKind::kBadWeights, name, "batch norm and convolution sizes disagree");
  std::vector<float> weight(oihw.size()), bias(o);
  for (std::size_t c = 0; c < o; ++c) {
    require(bn.variance[c] + bn.epsilon > 0, ErrorKind::kBadWeights, name, "negative batch norm variance");
    const double factor = double(bn.gamma[c]) / std::sqrt(double(bn.variance[c]) + bn.epsilon);
    for (std::size_t i = 0; i < per_out; ++i) weight[c * per_out + i] = float(oihw[c * per_out + i] * factor);
    const double b = conv_bias.empty() ? 0.0 : conv_bias[c];
    bias[c] = float((b - bn.mean[c]) * factor + bn.beta[c]);
  }
  out.add(name + ".weight", shape, std::move(weight));
  out.add(name + ".bias", {std::int64_t(o)}, std::move(bias));
}

std::vector<std::string> read_labels(const std::filesystem::path& path) {
  std::ifstream in(path);
  require(in.good(), ErrorKind::kIo, path.string(), "cannot open labels file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kBadData, path.string() + ": not valid JSON: " + e.what());
  }
  std::vector<std::string> labels;
  if (j.is_array()) return j.get<std::vector<std::string>>();
  require(j.is_object(), ErrorKind::kBadData, path.string(), "labels must be an array or an object of index: label");
  labels.resize(j.size());
  for (auto& [key, value] : j.items()) {
    std::size_t i = 0;
    try {
      i = std::stoul(key);
    } catch (...) {
      i = labels.size();
    }
    require(i < labels.size() && value.is_string(), ErrorKind::kBadData, path.string(), "bad label entry '" + key + "'");
    labels[i] = value.get<std::string>();
  }
  return labels;
}

}  // namespace aoi::convert
