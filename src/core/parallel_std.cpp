// AOI_THREADS=std: the loops of core/parallel.hpp on a pool of std::threads
// per arena. One loop runs at a time in an arena (concurrent callers take
// turns), the calling thread works too, and the workers spin briefly before
// sleeping because the trunk runs one short loop per layer.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/parallel.hpp"

namespace aoi::par {
namespace {

thread_local Arena* tl_arena = nullptr;   // set by Arena::execute
thread_local int tl_index = 0;            // slot in the running loop
thread_local bool tl_in_loop = false;     // nested loops run serially

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

const char* runtime_name() { return "std"; }
int default_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

struct Arena::Impl {
  explicit Impl(int n) : threads(n) {}
  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stop = true;
      generation.fetch_add(1);
    }
    wake.notify_all();
    for (auto& w : workers) w.join();
  }

  void start(Arena* owner) {
    for (int i = 1; i < threads; ++i) workers.emplace_back([this, owner, i] { work(owner, i); });
  }

  // Takes tasks of the current loop until none is left.
  void drain() {
    for (int t; (t = next.fetch_add(1, std::memory_order_relaxed)) < tasks;) {
      try {
        (*task)(t);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
      }
    }
  }

  void work(Arena* owner, int index) {
    tl_arena = owner;
    tl_index = index;
    std::uint64_t seen = 0;
    for (;;) {
      for (int spin = 0; spin < 20000 && generation.load(std::memory_order_acquire) == seen; ++spin) relax();
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return generation.load() != seen; });
        if (stop) return;
        seen = generation.load();
      }
      tl_in_loop = true;
      drain();
      tl_in_loop = false;
      if (active.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard lock(mutex);
        finished.notify_one();
      }
    }
  }

  void run(int count, FunctionRef<void(int)>& body) {
    std::lock_guard turn(loop_mutex);
    {
      std::lock_guard lock(mutex);
      task = &body;
      tasks = count;
      next.store(0);
      error = nullptr;
      active.store(threads - 1);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    const int saved_index = tl_index;
    tl_index = 0;
    tl_in_loop = true;
    drain();
    tl_in_loop = false;
    tl_index = saved_index;
    for (int spin = 0; spin < 20000 && active.load(std::memory_order_acquire) != 0; ++spin) relax();
    {
      std::unique_lock lock(mutex);
      finished.wait(lock, [&] { return active.load() == 0; });
    }
    if (error) std::rethrow_exception(std::exchange(error, nullptr));
  }

  const int threads;
  std::vector<std::thread> workers;
  std::mutex loop_mutex;  // one loop at a time
  std::mutex mutex;
  std::condition_variable wake, finished;
  std::atomic<std::uint64_t> generation{0};
  std::atomic<int> next{0}, active{0};
  int tasks = 0;
  FunctionRef<void(int)>* task = nullptr;
  std::exception_ptr error;
  bool stop = false;
};

Arena::Arena(int threads) : impl_(std::make_unique<Impl>(threads > 0 ? threads : default_threads())) {
  impl_->start(this);
}
Arena::~Arena() = default;
int Arena::threads() const { return impl_->threads; }

void Arena::execute(FunctionRef<void()> f) {
  Arena* const saved = tl_arena;
  tl_arena = this;
  struct Restore {
    Arena* saved;
    ~Restore() { tl_arena = saved; }
  } restore{saved};
  f();
}

namespace {
Arena& default_arena() {
  static Arena arena(0);
  return arena;
}
Arena& current_arena() { return tl_arena ? *tl_arena : default_arena(); }
}  // namespace

int max_concurrency() { return current_arena().threads(); }
int current_thread_index() { return tl_index; }

// Friend-free access: the loops below reach the Impl through this helper.
struct ArenaAccess {
  static Arena::Impl& impl(Arena& a) { return *a.impl_; }
};

// A nested loop runs serially on its caller's thread here: nothing to isolate.
void isolated(FunctionRef<void()> f) { f(); }

void for_each_index(int begin, int end, FunctionRef<void(int)> body) {
  if (begin >= end) return;
  Arena& arena = current_arena();
  if (tl_in_loop || arena.threads() == 1 || end - begin == 1) {
    for (int i = begin; i < end; ++i) body(i);
    return;
  }
  auto shifted = [&](int t) { body(begin + t); };
  FunctionRef<void(int)> task(shifted);
  ArenaAccess::impl(arena).run(end - begin, task);
}

void for_each_range(std::size_t begin, std::size_t end, std::size_t grain,
                    FunctionRef<void(std::size_t, std::size_t)> body) {
  if (begin >= end) return;
  const std::size_t n = end - begin;
  const std::size_t threads = std::size_t(max_concurrency());
  const std::size_t chunk = std::max<std::size_t>({grain, 1, (n + threads * 8 - 1) / (threads * 8)});
  const std::size_t chunks = (n + chunk - 1) / chunk;
  for_each_index(0, int(chunks), [&](int c) {
    const std::size_t b = begin + std::size_t(c) * chunk;
    body(b, std::min(end, b + chunk));
  });
}

}  // namespace aoi::par
