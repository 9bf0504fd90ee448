#include "pipeline/bundle.hpp"
#include "pipeline/bundle_text.hpp"
#include "aoi/version.h"
#include "io/atomic_file.hpp"
#include "io/mapped_file.hpp"
#include "weights/guarded_read.hpp"

#include <cstdio>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

#include "core/require.hpp"
#include "core/json_number.hpp"
#include "core/base64.hpp"
#include "core/checksums.hpp"
#include "io/image.hpp"

namespace aoi::pipeline {
namespace {

using nlohmann::json;
constexpr const char* kFormat = "aoi-model-bundle";

std::uint64_t parse_hex64(const std::string& s, const std::string& context) {
  require(s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string::npos, ErrorKind::kBadData, context,
          "expected 16 lower-case hex digits");
  return std::stoull(s, nullptr, 16);
}

// The sealed content: everything but the checksum and the model version, in
// nlohmann's compact sorted-key dump. The two keys are moved out for the
// dump and back (no copy of a bundle's megabytes of bank and trees). Runs
// when a bundle is saved, and on loading only a file the quick reading
// (bundle_text.hpp) cannot vouch for.
std::uint64_t content_hash(json& doc) {
  std::vector<std::pair<std::string, json>> aside;
  for (const char* key : {"checksum", "model_version"})
    if (auto it = doc.find(key); it != doc.end()) {
      aside.emplace_back(key, std::move(*it));
      doc.erase(it);
    }
  const auto text = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  for (auto& [key, value] : aside) doc[key] = std::move(value);
  return XXH3_64bits(text.data(), text.size());
}

}  // namespace

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::kPass: return "pass";
    case Decision::kReview: return "review";
    case Decision::kFail: return "fail";
  }
  return "?";
}

Decision Thresholds::decide(double s) const {
  if (s < pass_below) return Decision::kPass;
  return s >= fail_from ? Decision::kFail : Decision::kReview;
}

void save_bundle(ModelBundle& b, const std::filesystem::path& path) {
  require(b.thresholds.pass_below <= b.thresholds.fail_from, ErrorKind::kInvalidArgument, path.string(),
          "the pass threshold must not exceed the fail threshold");
  json doc;
  doc["format"] = kFormat;
  doc["format_version"] = ModelBundle::kFormatVersion;
  doc["created"] = b.created;
  doc["aoi_version"] = b.aoi_version.empty() ? AOI_VERSION_STRING : b.aoi_version;
  doc["weights"] = {{"payload_hash", hash_hex(b.weights_hash)}, {"source", b.weights_source}};
  if (b.feature_identity) doc["weights"]["feature_identity"] = hash_hex(b.feature_identity);
  doc["preprocess"] = {{"policy", image::policy_name(b.policy)}};
  // Written only when not global, so global bundles read as they always did.
  if (b.recipe != FeatureRecipe::kGlobal) doc["preprocess"]["features"] = feature_recipe_name(b.recipe);
  doc["classes"] = b.classes;
  doc["thresholds"] = {{"pass_below", b.thresholds.pass_below}, {"fail_from", b.thresholds.fail_from}};
  json training = json::object();
  for (const auto& [k, v] : b.training) training[k] = v;
  doc["training"] = training;
  // Written only when not supervised, so supervised bundles read as they always did.
  if (b.mode != Mode::kSupervised) {
    doc["mode"] = mode_name(b.mode);
    require(!b.banks.empty(), ErrorKind::kInvalidArgument, path.string(), "anomaly and combined modes need a bank");
    json banks = json::array();
    for (const auto& bank : b.banks)
      banks.push_back(json{{"points", bank.size()}, {"scale", bank.scale()}, {"f32_base64", base64_encode(bank.to_bytes())}});
    doc["anomaly"] = json{{"patch_dim", b.banks.front().dim()}, {"banks", banks}};
  }
  if (mode_uses_gbdt(b.mode)) doc["gbdt"] = json::parse(gbdt::to_json_text(b.model));
  const auto hash = content_hash(doc);
  b.model_version = "aoi-" + hash_hex(hash);
  doc["model_version"] = b.model_version;
  doc["checksum"] = hash_hex(hash);
  b.aoi_version = doc["aoi_version"].get<std::string>();
  io::write_file_atomically(path, doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n");
}

ModelBundle load_bundle(const std::filesystem::path& path) {
  // Mapped, not copied (io/mapped_file.hpp); a file shrunk in place while
  // it is parsed is an error like any other read error, not SIGBUS.
  const io::MappedFile file = io::MappedFile::open(path, std::int64_t(1) << 31);
  std::optional<ModelBundle> bundle;
  const bool whole = weights::detail::read_mapped(file.bytes().data(), file.bytes().size(),
                                                  [&] { bundle.emplace(parse_bundle(file.bytes(), path.string())); });
  require(whole, ErrorKind::kIo, path.string(), "the file changed while being read (it shrank); load it again");
  return std::move(*bundle);
}

ModelBundle parse_bundle(std::span<const std::uint8_t> bytes, const std::string& name) {
  // The quick reading first (bundle_text.hpp): the document without its
  // banks' base64, and the seal from the file's bytes. Whatever it cannot
  // vouch for is read again in full, the one definition.
  const detail::BundleText text =
      detail::scan_bundle_text({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  json doc;
  bool quick = false;
  if (text.well_formed) {
    doc = json::parse(text.reduced, nullptr, false);
    quick = !doc.is_discarded();
  }
  auto read_in_full = [&] {
    try {
      doc = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
      throw Error(ErrorKind::kBadData, name + ": not a model bundle (invalid JSON: " + e.what() + ")");
    }
    quick = false;
  };
  if (!quick) read_in_full();
  try {
    require(doc.is_object() && doc.value("format", "") == kFormat, ErrorKind::kBadData, name,
            "not a model bundle (no \"format\": \"aoi-model-bundle\")");
    const int version = ::aoi::detail::json_number<int>(doc.at("format_version"), name + ": format_version");
    require(version == ModelBundle::kFormatVersion, ErrorKind::kBadData, name,
            "bundle format version " + std::to_string(version) + " is not supported (this aoi reads " +
                std::to_string(ModelBundle::kFormatVersion) + ")");
    const std::uint64_t seal = parse_hex64(doc.at("checksum").get<std::string>(), name + ": checksum");
    if (::aoi::detail::kVerifyChecksums && !(quick && text.sealed_hash == seal)) {
      if (quick) read_in_full();  // e.g. reformatted: the seal is of the document, not of its spelling
      require(content_hash(doc) == seal, ErrorKind::kBadData, name,
              "checksum mismatch: the bundle was edited or damaged");
    }
    ModelBundle b;
    b.model_version = doc.at("model_version").get<std::string>();
    b.created = doc.at("created").get<std::string>();
    b.aoi_version = doc.value("aoi_version", "");  // bundles before 0.2 did not record it
    b.weights_hash = parse_hex64(doc.at("weights").at("payload_hash").get<std::string>(), name + ": weights");
    b.weights_source = doc.at("weights").value("source", "");
    if (doc.at("weights").contains("feature_identity"))
      b.feature_identity = parse_hex64(doc.at("weights").at("feature_identity").get<std::string>(), name + ": weights");
    b.policy = image::parse_policy(doc.at("preprocess").at("policy").get<std::string>());
    try {
      b.recipe = parse_feature_recipe(doc.at("preprocess").value("features", "global"));
    } catch (const Error& e) {
      throw Error(ErrorKind::kBadData, name + ": " + e.what());
    }
    b.classes = doc.at("classes").get<std::vector<std::string>>();
    require(b.classes.size() >= 2, ErrorKind::kBadData, name, "a bundle needs at least two classes");
    b.thresholds.pass_below = doc.at("thresholds").at("pass_below").get<double>();
    b.thresholds.fail_from = doc.at("thresholds").at("fail_from").get<double>();
    require(b.thresholds.pass_below <= b.thresholds.fail_from, ErrorKind::kBadData, name,
            "pass threshold above fail threshold");
    for (const auto& [k, v] : doc.at("training").items()) b.training.emplace_back(k, v.get<std::string>());
    try {
      b.mode = parse_mode(doc.value("mode", "supervised"));
    } catch (const Error& e) {
      throw Error(ErrorKind::kBadData, name + ": " + e.what());
    }
    if (b.mode != Mode::kSupervised) {
      // Read quickly, each bank's base64 is the next blob of the text; a
      // document whose banks and blobs do not pair up is read in full.
      if (quick && (!doc.at("anomaly").at("banks").is_array() ||
                    text.blobs.size() != doc.at("anomaly").at("banks").size()))
        read_in_full();
      const json& anomaly = doc.at("anomaly");
      const int dim = ::aoi::detail::json_number<int>(anomaly.at("patch_dim"), name + ": anomaly.patch_dim");
      std::size_t blob = 0;
      for (const json& bank : anomaly.at("banks")) {
        const float scale = bank.at("scale").get<float>();
        const std::string& inline_text = bank.at("f32_base64").get_ref<const std::string&>();
        const std::string_view base64 = quick ? text.blobs[blob++] : std::string_view(inline_text);
        b.banks.push_back(anomaly::MemoryBank::from_base64(base64, dim, scale, name + ": anomaly bank"));
        require(b.banks.back().size() == bank.at("points").get<std::size_t>(), ErrorKind::kBadData, name,
                "anomaly bank holds other than its stated number of points");
      }
      const std::size_t want = b.mode == Mode::kAnomaly ? 1 : 2;
      require(b.banks.size() == want, ErrorKind::kBadData, name,
              std::string(mode_name(b.mode)) + " mode needs " + std::to_string(want) + " memory bank(s)");
    }
    if (mode_uses_gbdt(b.mode)) {
      (void)doc.at("gbdt");  // present, or the usual error
      // Read quickly, the trees' own text, not a dump of what was parsed.
      b.model = gbdt::from_json_text(quick ? std::string(text.member("gbdt")) : doc.at("gbdt").dump(), name);
      const int outputs = b.classes.size() == 2 ? 1 : int(b.classes.size());
      require(b.model.outputs() == outputs, ErrorKind::kBadData, name,
              "the model has " + std::to_string(b.model.outputs()) + " outputs but " +
                  std::to_string(b.classes.size()) + " classes are named");
    } else {
      require(b.classes.size() == 2, ErrorKind::kBadData, name, "an anomaly-mode bundle has two classes");
    }
    return b;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kBadData, name + ": invalid model bundle: " + e.what());
  }
}

std::string hash_hex(std::uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

}  // namespace aoi::pipeline
