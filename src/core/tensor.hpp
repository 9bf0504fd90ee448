// aoi::Tensor: an owning, 64-byte aligned float32 buffer with an NCHW shape.
//
// The library works in float32 NCHW between modules; kernels may use other
// layouts internally. Views over memory owned elsewhere are plain spans.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace aoi {

struct AlignedFree {
  std::align_val_t alignment = std::align_val_t(64);  // what allocate_floats asked for
  bool owned = true;  // false: a view of memory owned elsewhere (borrow_floats)
  void operator()(float* p) const noexcept {
    if (owned) ::operator delete[](p, alignment);
  }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;

// Buffers of 2 MiB and more (packed weights, the trunk's workspace) are
// aligned to 2 MiB and offered to the kernel as transparent huge pages: a
// forward pass streams over 100 MB of weights, which with 4 KiB pages is tens
// of thousands of TLB misses a pass (bench/ab_builds.sh trunk compares a build
// without it). The size is not padded, so a partial last
// huge page stays in small pages and costs no memory; where huge pages are
// off, madvise fails harmlessly.
inline AlignedFloats allocate_floats(std::size_t count) {
  constexpr std::size_t kHugePage = std::size_t(1) << 21;
  const std::size_t bytes = count * sizeof(float);
  const std::align_val_t alignment = std::align_val_t(bytes >= kHugePage ? kHugePage : 64);
  auto* p = static_cast<float*>(::operator new[](bytes, alignment));
#if defined(__linux__)
  if (alignment != std::align_val_t(64)) ::madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return AlignedFloats(p, AlignedFree{alignment});
}

// A read-only view in AlignedFloats' clothing, for packed weights that live
// in a mapped pack file (nn/pack_file.hpp), which must outlive it. The memory
// is mapped read-only, so a stray write faults rather than corrupts.
inline AlignedFloats borrow_floats(const float* p) {
  return AlignedFloats(const_cast<float*>(p), AlignedFree{std::align_val_t(64), false});
}

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::vector<std::int64_t> shape) : shape_(std::move(shape)) {
    data_ = allocate_floats(size() == 0 ? 1 : size());
    std::fill(data_.get(), data_.get() + size(), 0.0f);
  }
  Tensor(const Tensor& other) : Tensor(other.shape_) {
    std::copy(other.data(), other.data() + size(), data_.get());
  }
  Tensor& operator=(const Tensor& other) {
    if (this != &other) *this = Tensor(other);
    return *this;
  }
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::int64_t dim(std::size_t i) const { return shape_.at(i); }
  std::size_t rank() const { return shape_.size(); }
  std::size_t size() const {
    std::size_t n = shape_.empty() ? 0 : 1;
    for (auto d : shape_) n *= static_cast<std::size_t>(d);
    return n;
  }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::span<float> span() { return {data(), size()}; }
  std::span<const float> span() const { return {data(), size()}; }

 private:
  std::vector<std::int64_t> shape_;
  AlignedFloats data_;
};

}  // namespace aoi
