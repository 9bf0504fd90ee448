// The quick reading of bundle files (pipeline/bundle_text.hpp) against its
// definition: on any document written as save_bundle writes it, the hash of
// the text must equal the hash of nlohmann's compact dump without the
// top-level "checksum" and "model_version" members; the blobs must be the
// "f32_base64" strings; and anything that is not one JSON object must be
// refused, so that parse_bundle reads it in full.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include <nlohmann/json.hpp>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipeline/bundle_text.hpp"

namespace aoi::test {
namespace {

using nlohmann::json;
using pipeline::detail::scan_bundle_text;

std::uint64_t sealed_by_definition(json doc) {
  doc.erase("checksum");
  doc.erase("model_version");
  const std::string text = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  return XXH3_64bits(text.data(), text.size());
}

// Strings with what a tokenizer could trip on: quotes, backslashes,
// brackets, commas, colons, whitespace, escapes and UTF-8.
std::string tricky_string(std::mt19937& rng) {
  static const char* pieces[] = {"a", "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "\t", "é", "日本",
                                 "checksum", "f32_base64", "\x01", "model_version", "0.5"};
  std::string s;
  for (int n = std::uniform_int_distribution<int>(0, 6)(rng); n > 0; --n)
    s += pieces[std::uniform_int_distribution<int>(0, std::size(pieces) - 1)(rng)];
  return s;
}

json random_value(std::mt19937& rng, int depth) {
  const int kind = std::uniform_int_distribution<int>(0, depth > 3 ? 4 : 6)(rng);
  switch (kind) {
    case 0: return nullptr;
    case 1: return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 2: return std::uniform_int_distribution<long long>(-1000000, 1000000)(rng);
    case 3: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 4: return tricky_string(rng);
    case 5: {
      json a = json::array();
      for (int n = std::uniform_int_distribution<int>(0, 4)(rng); n > 0; --n) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      json o = json::object();
      for (int n = std::uniform_int_distribution<int>(0, 4)(rng); n > 0; --n)
        o[tricky_string(rng)] = random_value(rng, depth + 1);
      // Nested members of the unsealed names stay in the seal.
      if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) o["checksum"] = tricky_string(rng);
      return o;
    }
  }
}

TEST(BundleText, TheSealOfTheTextIsTheSealOfTheDocument) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 400; ++trial) {
    json doc = json::object();
    for (int n = std::uniform_int_distribution<int>(0, 6)(rng); n > 0; --n) doc[tricky_string(rng)] = random_value(rng, 1);
    // The unsealed members first, last, in between, or absent.
    if (trial % 4 != 3) doc["checksum"] = "0123456789abcdef";
    if (trial % 3 != 2) doc["model_version"] = "aoi-0123456789abcdef";
    if (trial % 5 == 0) doc["zzz"] = 1, doc["aaa"] = {1, 2};
    // Banks as save_bundle writes them, sometimes: their base64 are the blobs.
    if (trial % 2 == 0) {
      json banks = json::array();
      for (int n = std::uniform_int_distribution<int>(0, 3)(rng); n > 0; --n)
        banks.push_back({{"f32_base64", tricky_string(rng)}, {"points", n}, {"scale", 0.5}});
      doc["anomaly"] = {{"banks", banks}, {"patch_dim", 4}};
    }
    const std::string text = doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
    SCOPED_TRACE(text);
    const auto scanned = scan_bundle_text(text);
    ASSERT_TRUE(scanned.well_formed);
    EXPECT_EQ(scanned.sealed_hash, sealed_by_definition(doc));
    // The reduced text is the document with every "f32_base64" string
    // emptied, the strings are the blobs in text order (nlohmann's objects
    // keep their keys sorted, as the dump wrote them), and each top-level
    // member's text is its value.
    std::vector<json> blobs;
    json blanked = doc;
    if (blanked.contains("anomaly") && blanked["anomaly"].is_object() && blanked["anomaly"].contains("banks") &&
        blanked["anomaly"]["banks"].is_array())
      for (auto& bank : blanked["anomaly"]["banks"])
        if (bank.is_object() && bank.contains("f32_base64") && bank["f32_base64"].is_string())
          blobs.push_back(bank["f32_base64"]), bank["f32_base64"] = "";
    EXPECT_EQ(json::parse(scanned.reduced), blanked);
    ASSERT_EQ(scanned.blobs.size(), blobs.size());
    for (std::size_t k = 0; k < blobs.size(); ++k) {
      std::string quoted(1, '"');
      quoted.append(scanned.blobs[k]).push_back('"');
      EXPECT_EQ(json::parse(quoted), blobs[k]);
    }
    for (const auto& [key, value] : blanked.items()) {
      const std::string spelled = json(key).dump();  // member() takes keys as spelled: those without escapes
      if (spelled.size() == key.size() + 2 && spelled.compare(1, key.size(), key) == 0) {
        EXPECT_EQ(json::parse(scanned.member(key)), value) << key;
      }
    }
  }
}

TEST(BundleText, BlobsAreTheBase64StringsAndTheRestParses) {
  json doc = {{"anomaly", {{"patch_dim", 4}, {"banks", {{{"f32_base64", "AAAA"}, {"points", 1}},
                                                        {{"f32_base64", "QUJD"}, {"points", 2}}}}}},
              {"checksum", "x"},
              {"note", "f32_base64"},
              {"training", {{"f32_base64", "kept"}}}};
  const std::string text = doc.dump(1);
  const auto scanned = scan_bundle_text(text);
  ASSERT_TRUE(scanned.well_formed);
  ASSERT_EQ(scanned.blobs.size(), 2u);
  EXPECT_EQ(scanned.blobs[0], "AAAA");
  EXPECT_EQ(scanned.blobs[1], "QUJD");
  const json reduced = json::parse(scanned.reduced);
  EXPECT_EQ(reduced["anomaly"]["banks"][0]["f32_base64"], "");
  EXPECT_EQ(reduced["note"], "f32_base64");  // a value, not a key: kept
  EXPECT_EQ(reduced["training"]["f32_base64"], "kept");  // not a bank's
  EXPECT_EQ(scanned.sealed_hash, sealed_by_definition(doc));
}

TEST(BundleText, RefusesWhatIsNotOneObject) {
  for (const char* bad : {"", "   ", "[1, 2]", "\"text\"", "12", "{\"a\": 1", "{\"a\": 1}}", "{\"a\": [1}",
                          "{\"a\": 1} {}", "{\"a\": 1 2}", "{\"a\": tr ue}", "{\"a\": \"open}", "{\"a\": \"\\\"}",
                          "{\"a\": 1} x"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(scan_bundle_text(bad).well_formed);
  }
  EXPECT_TRUE(scan_bundle_text("{}").well_formed);
  EXPECT_TRUE(scan_bundle_text(" {\"a\" : [ 1 , 2 ] }\n").well_formed);
}

}  // namespace
}  // namespace aoi::test
