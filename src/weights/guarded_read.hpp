// Reads of a mapped weight file that survive the file shrinking under the
// process. A read of a page past the new end of a mapped file raises SIGBUS;
// these functions catch it (on the calling thread, for their duration) and
// return false instead, so the caller can report "the file changed while
// being read" rather than the process dying. Every read aoi makes of mapped
// weights goes through them: the preamble, header and payload hash when
// opening, and each layer's copy when packing (docs/reliability.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace aoi::weights::detail {

bool guarded_copy(void* dst, const void* src, std::size_t bytes) noexcept;
// release_pages: src is a private read-only file mapping whose pages may be
// dropped once hashed (MADV_DONTNEED), so hashing adds nothing to the peak
// resident size.
bool guarded_hash(const void* src, std::size_t bytes, std::uint64_t& hash, bool release_pages = false) noexcept;

// Runs `read`, which reads [mapping, mapping + bytes) of a file mapped
// read-only and may allocate, throw and run destructors (a parser, which
// the jump of the functions above would skip). A page the file loses
// meanwhile reads as zeros from the fault on, and `read` runs to its end;
// then this returns false, whatever `read` returned or threw, since what it
// read was not the file. Otherwise true, or `read`'s exception. One range
// per thread at a time.
bool read_mapped(const void* mapping, std::size_t bytes, const std::function<void()>& read);

}  // namespace aoi::weights::detail
