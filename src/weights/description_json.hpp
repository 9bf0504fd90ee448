// JSON (de)serialisation of ModelDescription, shared by the reader and writer.
#pragma once

#include <nlohmann/json.hpp>

#include "weights/weight_file.hpp"

namespace aoi::weights::detail {

nlohmann::json to_json(const ModelDescription& d);
// Throws aoi::Error (kBadWeights) prefixed with `name` on any missing or bad field.
ModelDescription description_from_json(const nlohmann::json& j, const std::string& name);

}  // namespace aoi::weights::detail
