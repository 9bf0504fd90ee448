// aoi's one threading interface. Every parallel loop in the library goes
// through it, so the threading runtime is a build choice (AOI_THREADS):
//   tbb - oneTBB task arenas (work stealing; the default on desktop and server)
//   std - a small pool of std::threads per arena (no shared library needed, so a
//         fully static binary is possible: Debian ships no static TBB).
// Both keep the same contract: an Arena fixes how many threads its loops use;
// inside a loop body current_thread_index() is unique among the threads
// running that loop and below max_concurrency(), so it can index per-thread
// scratch; a loop nested in another loop's body may run serially.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace aoi::par {

// A non-owning, non-allocating reference to a callable (the loops must not
// allocate: the forward pass is allocation-free in steady state).
template <class Signature>
class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef>)
  FunctionRef(F&& f) noexcept  // NOLINT: implicit, like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// The threading runtime this library was built with: "tbb" or "std".
const char* runtime_name();
// Threads of this machine (the default arena's size).
int default_threads();

class Arena {
 public:
  explicit Arena(int threads);  // 0 or less: default_threads()
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  int threads() const;
  // Runs f on the calling thread with this arena current: loops inside it
  // use this arena's threads. Several threads may execute at once.
  void execute(FunctionRef<void()> f);

 private:
  friend struct ArenaAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Threads of the arena the calling thread runs in (default_threads() outside any).
int max_concurrency();
// This thread's slot in the current loop, in [0, max_concurrency()).
int current_thread_index();

// f(), during which a thread that waits on a loop nested in f takes no other
// work of the loops around it. A caller that holds per-thread state across
// a nested loop (a scratch picked by current_thread_index() or thread_local)
// needs it: under TBB the waiting thread may otherwise run another
// iteration of the outer loop, which would reuse that state.
void isolated(FunctionRef<void()> f);

// body(i) for every i in [begin, end), each index a task of its own. An
// exception from a body is rethrown to the caller once every task ended.
void for_each_index(int begin, int end, FunctionRef<void(int)> body);
// body(b, e) on non-empty chunks that cover [begin, end), of about `grain`
// items each (the runtime may halve or join them).
void for_each_range(std::size_t begin, std::size_t end, std::size_t grain,
                    FunctionRef<void(std::size_t, std::size_t)> body);

}  // namespace aoi::par
