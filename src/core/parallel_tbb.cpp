// AOI_THREADS=tbb: the loops of core/parallel.hpp on oneTBB.
#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "core/parallel.hpp"

namespace aoi::par {

const char* runtime_name() { return "tbb"; }
int default_threads() { return tbb::info::default_concurrency(); }

struct Arena::Impl {
  explicit Impl(int threads) : arena(threads) {}
  tbb::task_arena arena;
};

Arena::Arena(int threads) : impl_(std::make_unique<Impl>(threads > 0 ? threads : default_threads())) {}
Arena::~Arena() = default;
int Arena::threads() const { return impl_->arena.max_concurrency(); }
void Arena::execute(FunctionRef<void()> f) { impl_->arena.execute([&] { f(); }); }

int max_concurrency() { return tbb::this_task_arena::max_concurrency(); }
int current_thread_index() {
  const int index = tbb::this_task_arena::current_thread_index();
  return index == tbb::task_arena::not_initialized ? 0 : index;
}

void isolated(FunctionRef<void()> f) { tbb::this_task_arena::isolate([&] { f(); }); }

void for_each_index(int begin, int end, FunctionRef<void(int)> body) {
  if (begin >= end) return;
  tbb::parallel_for(begin, end, [&](int i) { body(i); }, tbb::simple_partitioner());
}

void for_each_range(std::size_t begin, std::size_t end, std::size_t grain,
                    FunctionRef<void(std::size_t, std::size_t)> body) {
  if (begin >= end) return;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(begin, end, grain ? grain : 1),
                    [&](const tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace aoi::par
