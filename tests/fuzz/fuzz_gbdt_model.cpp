// The GBDT model loaders, JSON (AOI_FUZZ_JSON) or binary, and the predictor
// built from whatever loads: a model that validates must also predict.
#include <string>
#include <vector>

#include "gbdt/model.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return aoi::fuzz::expect_error_or_success([&] {
#ifdef AOI_FUZZ_JSON
    const auto model = aoi::gbdt::from_json_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
#else
    const auto model = aoi::gbdt::from_binary(aoi::fuzz::bytes(data, size), "fuzz.aoig");
#endif
    if (model.num_features > 1 << 20) return;  // a valid but huge width: not worth a row
    const aoi::gbdt::Predictor predictor(model);
    std::vector<float> row(std::size_t(model.num_features), 0.5f), out(std::size_t(predictor.outputs()));
    predictor.predict_proba(row.data(), out.data());
  });
}
