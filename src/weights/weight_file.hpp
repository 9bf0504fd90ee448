// The .aoiw weight file: a JSON header describing the model (architecture,
// preprocessing, precision, tensor table) and a 64-byte aligned payload that
// is memory-mapped and used in place. See weights/FORMAT.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "image/preprocess.hpp"

namespace aoi::weights {

constexpr std::uint32_t kFormatVersion = 1;

// What the engine needs to build the network; everything model-specific.
struct ModelDescription {
  std::string architecture = "resnet";  // the only family so far
  std::string variant = "v1";           // v1: stride on the first 1x1 conv; v1.5: on the 3x3 conv
  std::vector<int> blocks{3, 4, 6, 3};  // bottleneck blocks per stage
  image::Preprocess preprocess;
  std::string source;                   // where the weights came from, for people
  std::vector<std::string> labels;      // classifier labels when fc.* is present
  // "fp32", or what `aoi quantize` made: "int8" (s8 conv weights with
  // per-channel scales and calibrated input scales) or "bf16".
  std::string precision = "fp32";
  std::string quantization;  // int8/bf16: the header's "quantization" object as JSON text
};

// How a tensor's values are stored: little-endian float32, signed 8-bit
// integers, or bfloat16 (float32's upper half).
enum class DType { kF32, kS8, kBF16 };
const char* dtype_name(DType t);
std::size_t dtype_bytes(DType t);

struct TensorInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  std::uint64_t offset = 0;  // from the start of the payload, a multiple of 64
  std::uint64_t nbytes = 0;
  DType dtype = DType::kF32;
};

class WeightFile {
 public:
  // Maps and validates a file: magic, version, sizes, checksums, header and
  // tensor table. Any problem is an aoi::Error naming the file.
  static WeightFile open(const std::filesystem::path& path);
  // The same checks on bytes in memory (tests, fuzzing, embedded weights).
  static WeightFile from_bytes(std::vector<std::uint8_t> bytes, const std::string& name);

  WeightFile(WeightFile&&) noexcept;
  WeightFile& operator=(WeightFile&&) noexcept;
  ~WeightFile();

  const std::string& name() const;
  const ModelDescription& description() const;
  const std::vector<TensorInfo>& tensors() const;
  bool has(const std::string& tensor) const;
  const TensorInfo& info(const std::string& tensor) const;  // throws if absent
  // When a view of the payload is checked against payload_hash(): before it
  // is returned (kNow), or by the caller, through read_check(), before it
  // reads any value (kByCaller: nn::Trunk's layers, which a trunk mapped from
  // a pack file never reads).
  enum class Check { kNow, kByCaller };
  // The tensor's float32 values, checked against `shape` when it is given.
  // A bf16 tensor comes widened to float32 (a copy made on the first call
  // and kept, thread-safe); an s8 one throws (data_s8).
  std::span<const float> data(const std::string& tensor, const std::vector<std::int64_t>& shape = {},
                              Check check = Check::kNow) const;
  // An s8 tensor's values, in place; throws for another dtype.
  std::span<const std::int8_t> data_s8(const std::string& tensor, const std::vector<std::int64_t>& shape = {},
                                       Check check = Check::kNow) const;
  // A bf16 tensor's values, in place; throws for another dtype.
  std::span<const std::uint16_t> data_bf16(const std::string& tensor, const std::vector<std::int64_t>& shape = {},
                                           Check check = Check::kNow) const;
  // The payload check of Check::kByCaller, once (later calls return at
  // once, or throw again if it failed). Valid as long as the file is,
  // wherever the WeightFile object moves.
  std::function<void()> read_check() const;
  // data() of a bf16 tensor, deferred: widens when first called. Valid as
  // long as the file is, wherever the WeightFile object moves.
  std::function<std::span<const float>()> widened(const std::string& tensor) const;
  // Bytes of the float32 copies of bf16 tensors made so far.
  std::size_t widened_bytes() const;
  // XXH3-64 of the payload: the identity of these weights (feature caches key
  // on it). A file opened from a path is checked against it on the first
  // read of a tensor (data(), data_s8(), data_bf16() with Check::kNow, or
  // read_check()), which throws kBadWeights if the payload does not match;
  // until then this is the hash the file states. A file from bytes is
  // checked when made.
  std::uint64_t payload_hash() const;
  // Whether the payload has been hashed and found to match.
  bool payload_verified() const;
  std::uint64_t file_bytes() const;
  // A mapped file: tells the kernel the pages wholly inside `values` (a span
  // of this file) are not needed now, so they leave the resident set; a later
  // read pages them in again from the file. No effect on weights in memory.
  // The packed trunk calls it on each layer it has copied, and the payload
  // check on every chunk it has hashed, so raw and packed weights are never
  // resident together.
  void release_pages(std::span<const float> values) const;
  void release_pages(std::span<const std::int8_t> values) const;
  void release_pages(std::span<const std::uint16_t> values) const;
  // Copies `values` (a span of this file) to dst. A mapped file that shrank
  // under the process would raise SIGBUS on the read; this throws
  // aoi::Error(kIo) naming the file instead (weights/guarded_read.hpp).
  void copy_out(std::span<const float> values, float* dst) const;

 private:
  struct State;
  explicit WeightFile(std::unique_ptr<State> state);
  void release_bytes(const void* data, std::size_t bytes) const;
  std::unique_ptr<State> state_;
};

// Builds a weight file tensor by tensor.
class WeightWriter {
 public:
  void add(const std::string& name, std::vector<std::int64_t> shape, std::vector<float> values);
  void add_s8(const std::string& name, std::vector<std::int64_t> shape, std::vector<std::int8_t> values);
  // Stored as bfloat16, each value rounded to nearest even.
  void add_bf16(const std::string& name, std::vector<std::int64_t> shape, const std::vector<float>& values);
  bool has(const std::string& name) const;
  void write(const std::filesystem::path& path, const ModelDescription& description) const;
  std::vector<std::uint8_t> serialize(const ModelDescription& description) const;

 private:
  struct Entry {
    std::string name;
    std::vector<std::int64_t> shape;
    DType dtype;
    std::vector<std::uint8_t> bytes;  // little-endian values of dtype
  };
  void add_bytes(const std::string& name, std::vector<std::int64_t> shape, DType dtype, const void* values,
                 std::size_t count);
  std::vector<Entry> entries_;
};

}  // namespace aoi::weights
