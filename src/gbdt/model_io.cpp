// The two model files: versioned JSON (readable, diffable) and a compact
// little-endian binary with a checksum. Schema in docs/gbdt-model.md.
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>
#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

#include "core/require.hpp"
#include "io/atomic_file.hpp"
#include "core/json_number.hpp"
#include "core/checksums.hpp"
#include "gbdt/model.hpp"
#include "io/image.hpp"

namespace aoi::gbdt {
namespace {

using nlohmann::json;
constexpr int kVersion = 1;
constexpr char kBinaryMagic[8] = {'A', 'O', 'I', 'G', 'B', 'D', 'T', '\n'};

void write_bytes(const std::filesystem::path& path, const void* data, std::size_t size) {
  io::write_file_atomically(path, std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), size));
}

// Appends and reads plain little-endian values and arrays.
struct Writer {
  std::vector<std::uint8_t> bytes;
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof v);
  }
  template <typename T>
  void put_array(const std::vector<T>& v) {
    put<std::uint64_t>(v.size());
    const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
    bytes.insert(bytes.end(), p, p + v.size() * sizeof(T));
  }
  void put_string(const std::string& s) { put_array(std::vector<char>(s.begin(), s.end())); }
};

struct Reader {
  std::span<const std::uint8_t> bytes;
  std::size_t at = 0;
  std::string name;
  Error truncated() const { return Error(ErrorKind::kBadData, name + ": invalid model: file is truncated"); }
  template <typename T>
  T get() {
    if (bytes.size() - at < sizeof(T)) throw truncated();
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    at += sizeof v;
    return v;
  }
  template <typename T>
  std::vector<T> get_array() {
    const auto n = get<std::uint64_t>();
    if (n > (bytes.size() - at) / sizeof(T)) throw truncated();
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), bytes.data() + at, n * sizeof(T));
    at += n * sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto v = get_array<char>();
    return {v.begin(), v.end()};
  }
};

}  // namespace

std::string to_json_text(const Model& m) {
  json trees = json::array();
  for (const auto& t : m.trees)
    trees.push_back({{"feature", t.feature}, {"threshold", t.threshold}, {"default_left", t.default_left},
                     {"left", t.left}, {"right", t.right}, {"gain", t.gain}, {"leaf_value", t.leaf_value}});
  json meta = json::object();
  for (const auto& [k, v] : m.metadata) meta[k] = v;
  const json j{{"format", "aoi-gbdt"}, {"version", kVersion},         {"objective", m.objective},
               {"num_class", m.num_class}, {"num_features", m.num_features}, {"base_score", m.base_score},
               {"metadata", meta},   {"trees", trees}};
  return j.dump();
}

Model from_json_text(const std::string& text, const std::string& name) {
  auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadData, name + ": invalid model: " + what); };
  Model m;
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "aoi-gbdt") throw bad("not an aoi GBDT model (format is not aoi-gbdt)");
    if (::aoi::detail::json_number<int>(j.at("version"), name + ": version") != kVersion)
      throw bad("model version " + j.at("version").dump() + " is not supported (this aoi reads " +
                std::to_string(kVersion) + ")");
    m.objective = j.at("objective").get<std::string>();
    m.num_class = ::aoi::detail::json_number<int>(j.at("num_class"), name + ": num_class");
    m.num_features = ::aoi::detail::json_number<int>(j.at("num_features"), name + ": num_features");
    m.base_score = ::aoi::detail::json_numbers<double>(j.at("base_score"), name + ": base_score");
    for (const auto& [k, v] : j.at("metadata").items()) m.metadata.emplace_back(k, v.get<std::string>());
    for (const auto& t : j.at("trees")) {
      Tree tree;
      tree.feature = ::aoi::detail::json_numbers<std::int32_t>(t.at("feature"), name + ": feature");
      tree.threshold = ::aoi::detail::json_numbers<float>(t.at("threshold"), name + ": threshold");
      tree.default_left = ::aoi::detail::json_numbers<std::uint8_t>(t.at("default_left"), name + ": default_left");
      tree.left = ::aoi::detail::json_numbers<std::int32_t>(t.at("left"), name + ": left");
      tree.right = ::aoi::detail::json_numbers<std::int32_t>(t.at("right"), name + ": right");
      tree.gain = ::aoi::detail::json_numbers<double>(t.at("gain"), name + ": gain");
      tree.leaf_value = ::aoi::detail::json_numbers<double>(t.at("leaf_value"), name + ": leaf_value");
      m.trees.push_back(std::move(tree));
    }
  } catch (const json::exception& e) {
    throw bad(std::string("malformed JSON: ") + e.what());
  }
  m.validate(name);
  return m;
}

std::vector<std::uint8_t> to_binary(const Model& m) {
  Writer w;
  for (char c : kBinaryMagic) w.put(c);
  w.put<std::uint32_t>(kVersion);
  w.put_string(m.objective);
  w.put<std::int32_t>(m.num_class);
  w.put<std::int32_t>(m.num_features);
  w.put_array(m.base_score);
  w.put<std::uint64_t>(m.metadata.size());
  for (const auto& [k, v] : m.metadata) w.put_string(k), w.put_string(v);
  w.put<std::uint64_t>(m.trees.size());
  for (const auto& t : m.trees) {
    w.put_array(t.feature), w.put_array(t.threshold), w.put_array(t.default_left);
    w.put_array(t.left), w.put_array(t.right), w.put_array(t.gain), w.put_array(t.leaf_value);
  }
  w.put<std::uint64_t>(XXH3_64bits(w.bytes.data(), w.bytes.size()));
  return w.bytes;
}

Model from_binary(std::span<const std::uint8_t> bytes, const std::string& name) {
  auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadData, name + ": invalid model: " + what); };
  if (bytes.size() < sizeof kBinaryMagic + 12 || std::memcmp(bytes.data(), kBinaryMagic, sizeof kBinaryMagic) != 0)
    throw bad("not an aoi binary GBDT model (bad magic)");
  std::uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (::aoi::detail::kVerifyChecksums && XXH3_64bits(bytes.data(), bytes.size() - 8) != stored) throw bad("checksum mismatch (corrupted or truncated)");
  Reader r{bytes.first(bytes.size() - 8), sizeof kBinaryMagic, name};
  const auto version = r.get<std::uint32_t>();
  if (version != kVersion)
    throw bad("model version " + std::to_string(version) + " is not supported (this aoi reads " + std::to_string(kVersion) + ")");
  Model m;
  m.objective = r.get_string();
  m.num_class = r.get<std::int32_t>();
  m.num_features = r.get<std::int32_t>();
  m.base_score = r.get_array<double>();
  const auto entries = r.get<std::uint64_t>();
  if (entries > bytes.size()) throw r.truncated();
  for (std::uint64_t i = 0; i < entries; ++i) {
    auto k = r.get_string();
    m.metadata.emplace_back(std::move(k), r.get_string());
  }
  const auto trees = r.get<std::uint64_t>();
  if (trees > bytes.size()) throw r.truncated();
  for (std::uint64_t i = 0; i < trees; ++i) {
    Tree t;
    t.feature = r.get_array<std::int32_t>(), t.threshold = r.get_array<float>();
    t.default_left = r.get_array<std::uint8_t>(), t.left = r.get_array<std::int32_t>();
    t.right = r.get_array<std::int32_t>(), t.gain = r.get_array<double>(), t.leaf_value = r.get_array<double>();
    m.trees.push_back(std::move(t));
  }
  if (r.at != r.bytes.size()) throw bad("trailing bytes after the last tree");
  m.validate(name);
  return m;
}

void save_json(const Model& m, const std::filesystem::path& path) {
  const auto text = to_json_text(m);
  write_bytes(path, text.data(), text.size());
}
Model load_json(const std::filesystem::path& path) {
  const auto bytes = io::read_file(path, std::int64_t(1) << 32);
  return from_json_text(std::string(bytes.begin(), bytes.end()), path.string());
}
void save_binary(const Model& m, const std::filesystem::path& path) {
  const auto bytes = to_binary(m);
  write_bytes(path, bytes.data(), bytes.size());
}
Model load_binary(const std::filesystem::path& path) { return from_binary(io::read_file(path, std::int64_t(1) << 32), path.string()); }

void save_model(const Model& m, const std::filesystem::path& path) {
  if (path.extension() == ".json") save_json(m, path);
  else save_binary(m, path);
}

Model load_model(const std::filesystem::path& path) {
  const auto bytes = io::read_file(path, std::int64_t(1) << 32);
  if (bytes.size() >= sizeof kBinaryMagic && std::memcmp(bytes.data(), kBinaryMagic, sizeof kBinaryMagic) == 0)
    return from_binary(bytes, path.string());
  return from_json_text(std::string(bytes.begin(), bytes.end()), path.string());
}

}  // namespace aoi::gbdt
