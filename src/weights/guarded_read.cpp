#include "weights/guarded_read.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>

#define XXH_INLINE_ALL  // header-only: no libxxhash to link or install
#include <xxhash.h>

namespace aoi::weights::detail {
namespace {

// Armed while a guarded read runs. Volatile, and fenced below: the compiler
// knows memcpy cannot read it and would otherwise drop the arming store.
thread_local sigjmp_buf* volatile tl_jump = nullptr;
struct sigaction g_previous {};

// The range read_mapped watches on this thread, and whether a page of it
// was lost.
thread_local std::uintptr_t volatile tl_begin = 0, tl_end = 0;
thread_local volatile sig_atomic_t tl_lost = 0;

// Maps a zero page over the lost page holding `address`, so that the read
// that faulted runs on. mmap is a plain system call, safe in a handler.
bool patch_lost_page(void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  if (at < tl_begin || at >= tl_end) return false;
  const std::uintptr_t page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
  void* start = reinterpret_cast<void*>(at / page * page);
  if (::mmap(start, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) return false;
  tl_lost = 1;
  return true;
}

// SIGBUS on a thread inside a guarded read jumps back to it; any other
// SIGBUS goes to whoever handled it before aoi (or kills, as by default).
void on_sigbus(int signal, siginfo_t* info, void* context) {
  if (sigjmp_buf* jump = tl_jump) {
    tl_jump = nullptr;
    siglongjmp(*jump, 1);
  }
  if (info && patch_lost_page(info->si_addr)) return;
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(signal, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN && g_previous.sa_handler) {
    return g_previous.sa_handler(signal);
  }
  std::signal(SIGBUS, SIG_DFL);
  std::raise(SIGBUS);
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &g_previous);
  });
}

// Runs a C-like function (no destructors in between) under the guard.
template <class F>
bool guarded(F&& f) noexcept {
  install_once();
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) return false;  // from on_sigbus
  tl_jump = &jump;
  asm volatile("" ::: "memory");
  f();
  asm volatile("" ::: "memory");
  tl_jump = nullptr;
  return true;
}

}  // namespace

bool guarded_copy(void* dst, const void* src, std::size_t bytes) noexcept {
  return guarded([&] { std::memcpy(dst, src, bytes); });
}

bool guarded_hash(const void* src, std::size_t bytes, std::uint64_t& hash, bool release_pages) noexcept {
  if (!release_pages) {
    std::uint64_t h = 0;
    const bool ok = guarded([&] { h = XXH3_64bits(src, bytes); });
    if (ok) hash = h;
    return ok;
  }
  // In chunks, each chunk's whole pages dropped from this process once
  // hashed (they stay in the page cache): reading a file of 100 MB then
  // never makes 100 MB resident at once.
  constexpr std::size_t kChunk = std::size_t(4) << 20;
  const std::uintptr_t page = std::uintptr_t(::sysconf(_SC_PAGESIZE));
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  const auto* p = static_cast<const std::uint8_t*>(src);
  for (std::size_t at = 0; at < bytes; at += kChunk) {
    const std::size_t n = std::min(kChunk, bytes - at);
    if (!guarded([&] { XXH3_64bits_update(&state, p + at, n); })) return false;
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(p + at) + page - 1) / page * page;
    const std::uintptr_t last = reinterpret_cast<std::uintptr_t>(p + at + n) / page * page;
    if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
  }
  hash = XXH3_64bits_digest(&state);
  return true;
}

bool read_mapped(const void* mapping, std::size_t bytes, const std::function<void()>& read) {
  install_once();
  struct Watch {
    Watch(const void* p, std::size_t n) {
      tl_lost = 0;
      tl_begin = reinterpret_cast<std::uintptr_t>(p);
      tl_end = tl_begin + n;
      asm volatile("" ::: "memory");
    }
    ~Watch() {
      asm volatile("" ::: "memory");
      tl_begin = tl_end = 0;
    }
  };
  {
    const Watch watch(mapping, bytes);
    try {
      read();
    } catch (...) {
      if (!tl_lost) throw;
    }
  }
  return !tl_lost;
}

}  // namespace aoi::weights::detail
