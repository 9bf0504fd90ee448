// Reading (mmap, zero-copy) and writing .aoiw files. Layout in weights/FORMAT.md.
#include "weights/weight_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <fstream>
#include <atomic>
#include <mutex>
#include <unordered_map>

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

#include "core/bf16.hpp"
#include "core/require.hpp"
#include "core/json_number.hpp"
#include "core/checksums.hpp"
#include "description_json.hpp"
#include "weights/guarded_read.hpp"
#include "io/atomic_file.hpp"

namespace aoi::weights {
namespace {

constexpr char kMagic[8] = {'A', 'O', 'I', 'W', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kPreambleBytes = 64;
constexpr std::size_t kAlign = 64;
constexpr std::uint64_t kMaxHeaderBytes = 64u << 20;

// The fixed 64-byte preamble, little-endian.
struct Preamble {
  char magic[8];
  std::uint32_t version;
  std::uint32_t reserved;
  std::uint64_t header_offset;
  std::uint64_t header_bytes;
  std::uint64_t payload_offset;
  std::uint64_t payload_bytes;
  std::uint64_t header_hash;   // XXH3-64 of the header bytes
  std::uint64_t payload_hash;  // XXH3-64 of the payload bytes
};
static_assert(sizeof(Preamble) == kPreambleBytes);

std::uint64_t align_up(std::uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

}  // namespace

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kS8: return "s8";
    case DType::kBF16: return "bf16";
    default: return "f32";
  }
}

std::size_t dtype_bytes(DType t) {
  switch (t) {
    case DType::kS8: return 1;
    case DType::kBF16: return 2;
    default: return 4;
  }
}

struct WeightFile::State {
  std::string name;
  // Either a mapping or owned bytes; `bytes` points into one of them.
  void* mapping = nullptr;
  std::size_t mapping_size = 0;
  std::vector<std::uint8_t> owned;
  const std::uint8_t* bytes = nullptr;
  std::size_t size = 0;

  ModelDescription description;
  std::vector<TensorInfo> tensors;
  std::unordered_map<std::string, std::size_t> index;
  // bf16 tensors widened to float32, what data() returns for them: each
  // made on first use (a bf16 trunk reads the raw values and never asks),
  // then kept; nodes of the map stay put, so returned spans stay valid.
  mutable std::mutex widen_mutex;
  mutable std::unordered_map<std::string, std::vector<float>> widened;
  const std::uint8_t* payload = nullptr;
  std::uint64_t payload_hash = 0;  // as computed, or (deferred) as the preamble claims until verify_payload()
  std::size_t payload_bytes = 0;
  bool defer_payload_check = false;  // a mapped file: hashed on the first read of a tensor
  mutable std::mutex verify_mutex;
  mutable std::string payload_error;  // a mismatch found, thrown again on every read
  mutable std::atomic<bool> payload_verified{false};

  ~State() {
    if (mapping) munmap(mapping, mapping_size);
  }

  Error changed() const {
    return Error(ErrorKind::kIo, name + ": the weight file changed while being read (it shrank); load it again");
  }

  void parse() {
    auto bad = [&](const std::string& what) { return Error(ErrorKind::kBadWeights, name + ": " + what); };
    if (size < kPreambleBytes) throw bad("file is truncated (" + std::to_string(size) + " bytes, not a weight file)");
    Preamble pre;
    if (!detail::guarded_copy(&pre, bytes, sizeof pre)) throw changed();
    if (std::memcmp(pre.magic, kMagic, sizeof kMagic) != 0) throw bad("not an aoi weight file (bad magic)");
    if (pre.version != kFormatVersion)
      throw bad("weight file version " + std::to_string(pre.version) + " is not supported (this aoi reads version " +
                std::to_string(kFormatVersion) + "); convert the weights again");
    if (pre.header_offset != kPreambleBytes || pre.header_bytes == 0 || pre.header_bytes > kMaxHeaderBytes ||
        pre.payload_offset % kAlign != 0 || pre.payload_offset < pre.header_offset + pre.header_bytes)
      throw bad("corrupted preamble");
    if (pre.payload_offset > size || pre.payload_bytes > size - pre.payload_offset)
      throw bad("file is truncated: the payload needs " + std::to_string(pre.payload_offset + pre.payload_bytes) +
                " bytes, the file has " + std::to_string(size));
    std::string header_text(pre.header_bytes, '\0');
    if (!detail::guarded_copy(header_text.data(), bytes + pre.header_offset, pre.header_bytes)) throw changed();
    const char* header = header_text.data();
    if (::aoi::detail::kVerifyChecksums && XXH3_64bits(header, pre.header_bytes) != pre.header_hash) throw bad("header checksum mismatch (corrupted)");
    payload = bytes + pre.payload_offset;
    payload_bytes = pre.payload_bytes;
    payload_hash = pre.payload_hash;
    if (!defer_payload_check) verify_payload();

    nlohmann::json j;
    try {
      j = nlohmann::json::parse(header, header + pre.header_bytes);
    } catch (const nlohmann::json::exception& e) {
      throw bad(std::string("header is not valid JSON: ") + e.what());
    }
    description = detail::description_from_json(j, name);
    try {
      for (const auto& t : j.at("tensors")) {
        TensorInfo info;
        info.name = t.at("name").get<std::string>();
        info.shape = ::aoi::detail::json_numbers<std::int64_t>(t.at("shape"), name + ": tensor shape", ErrorKind::kBadWeights);
        const auto dtype = t.at("dtype").get<std::string>();
        if (dtype == "f32") info.dtype = DType::kF32;
        else if (dtype == "s8") info.dtype = DType::kS8;
        else if (dtype == "bf16") info.dtype = DType::kBF16;
        else throw bad("tensor " + info.name + " has dtype '" + dtype + "' (expected f32, s8 or bf16)");
        info.offset = ::aoi::detail::json_number<std::uint64_t>(t.at("offset"), name + ": tensor offset", ErrorKind::kBadWeights);
        info.nbytes = ::aoi::detail::json_number<std::uint64_t>(t.at("nbytes"), name + ": tensor nbytes", ErrorKind::kBadWeights);
        // Checked: a product of large dimensions must not wrap around.
        std::uint64_t count = 1;
        const std::uint64_t max_count = pre.payload_bytes / dtype_bytes(info.dtype);
        for (auto d : info.shape) {
          if (d <= 0 || d > (1 << 24)) throw bad("tensor " + info.name + " has a bad shape");
          if (count > max_count / static_cast<std::uint64_t>(d)) throw bad("tensor " + info.name + " is larger than the payload");
          count *= static_cast<std::uint64_t>(d);
        }
        if (count * dtype_bytes(info.dtype) != info.nbytes) throw bad("tensor " + info.name + " size does not match its shape");
        if (info.offset % kAlign != 0 || info.offset > pre.payload_bytes || info.nbytes > pre.payload_bytes - info.offset)
          throw bad("tensor " + info.name + " lies outside the payload");
        if (!index.emplace(info.name, tensors.size()).second) throw bad("tensor " + info.name + " appears twice");
        tensors.push_back(std::move(info));
      }
    } catch (const nlohmann::json::exception& e) {
      throw bad(std::string("malformed tensor table: ") + e.what());
    }
  }

  // Hashes the payload against the preamble's hash, once. A mapped file
  // defers this to the first read of a tensor: a trunk mapped from a pack
  // file of these weights reads none, and hashing the file's pages costs
  // much of a cold start. A mismatch is remembered and thrown by every later
  // call; a file that shrank while hashed (changed()) is hashed again by the
  // next one. A mutex, not std::call_once: a callable that throws leaves
  // call_once hung on some C libraries.
  void verify_payload() const {
    if (payload_verified.load(std::memory_order_acquire)) return;
    const std::lock_guard<std::mutex> lock(verify_mutex);
    if (payload_verified.load(std::memory_order_relaxed)) return;
    if (!payload_error.empty()) throw Error(ErrorKind::kBadWeights, payload_error);
    std::uint64_t computed = 0;
    if (!detail::guarded_hash(payload, payload_bytes, computed, mapping != nullptr)) throw changed();
    if (computed != payload_hash) {
      if (::aoi::detail::kVerifyChecksums) {
        payload_error = name + ": payload checksum mismatch (corrupted)";
        throw Error(ErrorKind::kBadWeights, payload_error);
      }
      return;  // fuzzing builds read damaged files on purpose; not verified
    }
    payload_verified.store(true, std::memory_order_release);
  }

  std::span<const float> widen(const TensorInfo& t) const {
    {
      const std::lock_guard<std::mutex> lock(widen_mutex);
      if (auto it = widened.find(t.name); it != widened.end()) return {it->second.data(), it->second.size()};
    }
    // Widened outside the lock: layers packed side by side widen side by side.
    std::vector<std::uint16_t> raw(t.nbytes / 2);
    if (!detail::guarded_copy(raw.data(), payload + t.offset, t.nbytes)) throw changed();
    std::vector<float> wide(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) wide[i] = widen_bf16(raw[i]);
    const std::lock_guard<std::mutex> lock(widen_mutex);
    const auto& kept = widened.try_emplace(t.name, std::move(wide)).first->second;  // the first one made wins
    return {kept.data(), kept.size()};
  }
};

WeightFile::WeightFile(std::unique_ptr<State> state) : state_(std::move(state)) {}
WeightFile::WeightFile(WeightFile&&) noexcept = default;
WeightFile& WeightFile::operator=(WeightFile&&) noexcept = default;
WeightFile::~WeightFile() = default;

WeightFile WeightFile::open(const std::filesystem::path& path) {
  auto state = std::make_unique<State>();
  state->name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  require(fd >= 0, ErrorKind::kIo, state->name, std::string("cannot open weight file: ") + std::strerror(errno));
  struct stat st {};
  const bool stat_ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (stat_ok && st.st_size > 0) {
    state->mapping = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (state->mapping == MAP_FAILED) {
      state->mapping = nullptr;
      if (errno == ENOMEM) {
        ::close(fd);
        throw std::bad_alloc();  // no address space left: a memory failure, not a file one
      }
    }
  }
  ::close(fd);
  require(stat_ok || !S_ISDIR(st.st_mode), ErrorKind::kIo, state->name, "is a folder, not a weight file");
  require(stat_ok, ErrorKind::kIo, state->name, "not a regular file");
  if (st.st_size > 0) require(state->mapping != nullptr, ErrorKind::kIo, state->name, "cannot map the weight file");
  state->mapping_size = static_cast<std::size_t>(st.st_size);
  state->bytes = static_cast<const std::uint8_t*>(state->mapping);
  state->size = state->mapping_size;
  state->defer_payload_check = state->mapping != nullptr;
  state->parse();
  // Parsing read the header's pages; none is needed until a layer is packed.
  if (state->mapping) ::madvise(state->mapping, state->mapping_size, MADV_DONTNEED);
  return WeightFile(std::move(state));
}

WeightFile WeightFile::from_bytes(std::vector<std::uint8_t> bytes, const std::string& name) {
  auto state = std::make_unique<State>();
  state->name = name;
  // Copy into 64-byte aligned storage so tensors are aligned as when mapped.
  state->owned.reserve(bytes.size() + kAlign);
  state->owned.resize(bytes.size() + kAlign);
  const auto misalign = reinterpret_cast<std::uintptr_t>(state->owned.data()) % kAlign;
  const std::size_t shift = misalign ? kAlign - misalign : 0;
  if (!bytes.empty()) std::memcpy(state->owned.data() + shift, bytes.data(), bytes.size());
  state->bytes = state->owned.data() + shift;
  state->size = bytes.size();
  state->parse();
  return WeightFile(std::move(state));
}

void WeightFile::copy_out(std::span<const float> values, float* dst) const {
  if (values.empty()) return;
  if (!detail::guarded_copy(dst, values.data(), values.size_bytes())) throw state_->changed();
}

void WeightFile::release_pages(std::span<const float> values) const {
  release_bytes(values.data(), values.size_bytes());
}
void WeightFile::release_pages(std::span<const std::int8_t> values) const {
  release_bytes(values.data(), values.size_bytes());
}
void WeightFile::release_pages(std::span<const std::uint16_t> values) const {
  release_bytes(values.data(), values.size_bytes());
}
void WeightFile::release_bytes(const void* data, std::size_t bytes) const {
  if (!state_->mapping || bytes == 0) return;
  const std::uintptr_t page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const auto end = begin + bytes;
  const auto map_begin = reinterpret_cast<std::uintptr_t>(state_->mapping);
  if (begin < map_begin || end > map_begin + state_->mapping_size) return;  // not ours
  const std::uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

const std::string& WeightFile::name() const { return state_->name; }
const ModelDescription& WeightFile::description() const { return state_->description; }
const std::vector<TensorInfo>& WeightFile::tensors() const { return state_->tensors; }
bool WeightFile::has(const std::string& tensor) const { return state_->index.count(tensor) != 0; }
std::uint64_t WeightFile::payload_hash() const { return state_->payload_hash; }
bool WeightFile::payload_verified() const { return state_->payload_verified; }

std::function<void()> WeightFile::read_check() const {
  const State* state = state_.get();  // stays put when the WeightFile moves
  return [state] { state->verify_payload(); };
}
std::uint64_t WeightFile::file_bytes() const { return state_->size; }

const TensorInfo& WeightFile::info(const std::string& tensor) const {
  const auto it = state_->index.find(tensor);
  require(it != state_->index.end(), ErrorKind::kBadWeights, state_->name, "missing tensor " + tensor);
  return state_->tensors[it->second];
}

namespace {

void check_shape(const std::string& file, const TensorInfo& t, const std::vector<std::int64_t>& shape) {
  if (shape.empty() || shape == t.shape) return;
  auto str = [](const std::vector<std::int64_t>& s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) r.append(i ? "," : "").append(std::to_string(s[i]));
    return r + "]";
  };
  throw Error(ErrorKind::kBadWeights, file + ": tensor " + t.name + " has shape " + str(t.shape) + ", expected " + str(shape));
}

}  // namespace

std::span<const float> WeightFile::data(const std::string& tensor, const std::vector<std::int64_t>& shape,
                                        Check check) const {
  const TensorInfo& t = info(tensor);
  check_shape(state_->name, t, shape);
  if (check == Check::kNow || t.dtype == DType::kBF16) state_->verify_payload();  // widening reads
  if (t.dtype == DType::kBF16) return state_->widen(t);
  require(t.dtype == DType::kF32, ErrorKind::kBadWeights, state_->name,
          "tensor " + tensor + " holds " + dtype_name(t.dtype) + " values; this layer needs f32 or bf16");
  return {reinterpret_cast<const float*>(state_->payload + t.offset), t.nbytes / sizeof(float)};
}

std::span<const std::int8_t> WeightFile::data_s8(const std::string& tensor, const std::vector<std::int64_t>& shape,
                                                Check check) const {
  const TensorInfo& t = info(tensor);
  check_shape(state_->name, t, shape);
  if (check == Check::kNow) state_->verify_payload();
  require(t.dtype == DType::kS8, ErrorKind::kBadWeights, state_->name,
          "tensor " + tensor + " holds " + dtype_name(t.dtype) + " values, not s8");
  return {reinterpret_cast<const std::int8_t*>(state_->payload + t.offset), t.nbytes};
}

std::span<const std::uint16_t> WeightFile::data_bf16(const std::string& tensor,
                                                     const std::vector<std::int64_t>& shape, Check check) const {
  const TensorInfo& t = info(tensor);
  check_shape(state_->name, t, shape);
  if (check == Check::kNow) state_->verify_payload();
  require(t.dtype == DType::kBF16, ErrorKind::kBadWeights, state_->name,
          "tensor " + tensor + " holds " + dtype_name(t.dtype) + " values, not bf16");
  return {reinterpret_cast<const std::uint16_t*>(state_->payload + t.offset), t.nbytes / 2};
}

std::function<std::span<const float>()> WeightFile::widened(const std::string& tensor) const {
  const TensorInfo& t = info(tensor);
  require(t.dtype == DType::kBF16, ErrorKind::kBadWeights, state_->name,
          "tensor " + tensor + " holds " + dtype_name(t.dtype) + " values, not bf16");
  const State* state = state_.get();  // stays put when the WeightFile moves
  return [state, &t] {
    state->verify_payload();
    return state->widen(t);
  };
}

std::size_t WeightFile::widened_bytes() const {
  const std::lock_guard<std::mutex> lock(state_->widen_mutex);
  std::size_t bytes = 0;
  for (const auto& [name, values] : state_->widened) bytes += values.size() * sizeof(float);
  return bytes;
}

void WeightWriter::add_bytes(const std::string& name, std::vector<std::int64_t> shape, DType dtype,
                            const void* values, std::size_t count) {
  std::size_t expected = 1;
  for (auto d : shape) expected *= static_cast<std::size_t>(d);
  require(count == expected, ErrorKind::kInvalidArgument, name, "value count does not match the shape");
  require(!has(name), ErrorKind::kInvalidArgument, name, "tensor added twice");
  const auto* p = static_cast<const std::uint8_t*>(values);
  entries_.push_back({name, std::move(shape), dtype, std::vector<std::uint8_t>(p, p + count * dtype_bytes(dtype))});
}

void WeightWriter::add(const std::string& name, std::vector<std::int64_t> shape, std::vector<float> values) {
  add_bytes(name, std::move(shape), DType::kF32, values.data(), values.size());
}

void WeightWriter::add_s8(const std::string& name, std::vector<std::int64_t> shape, std::vector<std::int8_t> values) {
  add_bytes(name, std::move(shape), DType::kS8, values.data(), values.size());
}

void WeightWriter::add_bf16(const std::string& name, std::vector<std::int64_t> shape, const std::vector<float>& values) {
  std::vector<std::uint16_t> narrow(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) narrow[i] = narrow_bf16(values[i]);
  add_bytes(name, std::move(shape), DType::kBF16, narrow.data(), narrow.size());
}

bool WeightWriter::has(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return true;
  return false;
}

std::vector<std::uint8_t> WeightWriter::serialize(const ModelDescription& description) const {
  nlohmann::json header = detail::to_json(description);
  header["tensors"] = nlohmann::json::array();
  std::uint64_t offset = 0;
  for (const auto& e : entries_) {
    const std::uint64_t nbytes = e.bytes.size();
    header["tensors"].push_back(
        {{"name", e.name}, {"shape", e.shape}, {"dtype", dtype_name(e.dtype)}, {"offset", offset}, {"nbytes", nbytes}});
    offset = align_up(offset + nbytes);
  }
  const std::string text = header.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  Preamble pre{};
  std::memcpy(pre.magic, kMagic, sizeof kMagic);
  pre.version = kFormatVersion;
  pre.header_offset = kPreambleBytes;
  pre.header_bytes = text.size();
  pre.payload_offset = align_up(kPreambleBytes + text.size());
  pre.payload_bytes = offset;

  std::vector<std::uint8_t> out(pre.payload_offset + pre.payload_bytes, 0);
  std::memcpy(out.data() + pre.header_offset, text.data(), text.size());
  std::uint64_t at = 0;
  for (const auto& e : entries_) {
    if (!e.bytes.empty()) std::memcpy(out.data() + pre.payload_offset + at, e.bytes.data(), e.bytes.size());
    at = align_up(at + e.bytes.size());
  }
  pre.header_hash = XXH3_64bits(out.data() + pre.header_offset, pre.header_bytes);
  pre.payload_hash = XXH3_64bits(out.data() + pre.payload_offset, pre.payload_bytes);
  std::memcpy(out.data(), &pre, sizeof pre);
  return out;
}

void WeightWriter::write(const std::filesystem::path& path, const ModelDescription& description) const {
  io::write_file_atomically(path, serialize(description));
}

}  // namespace aoi::weights
