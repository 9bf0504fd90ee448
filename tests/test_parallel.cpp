// src/core/parallel.hpp on whichever runtime this build has (AOI_THREADS):
// every index runs once, thread slots are unique among the threads of a loop
// and below max_concurrency(), arenas bound the threads, exceptions reach
// the caller, nested loops and concurrent callers work.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/parallel.hpp"

namespace aoi::test {
namespace {

TEST(Parallel, EveryIndexRunsExactlyOnceInEveryArenaSize) {
  for (int threads : {1, 2, 3, 8}) {
    par::Arena arena(threads);
    EXPECT_EQ(arena.threads(), threads);
    for (int n : {0, 1, 2, 7, 100, 1000}) {
      std::vector<std::atomic<int>> hits(std::size_t(n) + 5);
      arena.execute([&] { par::for_each_index(5, 5 + n, [&](int i) { ++hits[std::size_t(i)]; }); });
      for (int i = 0; i < 5; ++i) EXPECT_EQ(hits[std::size_t(i)].load(), 0);
      for (int i = 5; i < 5 + n; ++i) ASSERT_EQ(hits[std::size_t(i)].load(), 1) << threads << " threads, n " << n;
    }
  }
}

TEST(Parallel, RangesCoverEveryItemOnceInNonEmptyChunks) {
  par::Arena arena(3);
  for (std::size_t n : {1u, 5u, 64u, 1001u}) {
    std::vector<std::atomic<int>> hits(n);
    std::atomic<bool> empty_chunk{false};
    arena.execute([&] {
      par::for_each_range(0, n, 16, [&](std::size_t b, std::size_t e) {
        if (e <= b) empty_chunk = true;
        for (std::size_t i = b; i < e; ++i) ++hits[i];
      });
    });
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << n;
    EXPECT_FALSE(empty_chunk);
  }
}

TEST(Parallel, ThreadSlotsAreBelowTheArenaSizeAndUniqueAmongRunningTasks) {
  for (int threads : {1, 2, 4}) {
    par::Arena arena(threads);
    std::vector<std::atomic<int>> busy(static_cast<std::size_t>(threads));
    std::atomic<bool> bad_slot{false}, shared_slot{false};
    std::mutex m;
    std::set<std::thread::id> seen;
    arena.execute([&] {
      EXPECT_EQ(par::max_concurrency(), threads);
      par::for_each_index(0, 64, [&](int) {
        const int slot = par::current_thread_index();
        if (slot < 0 || slot >= threads) {
          bad_slot = true;
          return;
        }
        if (busy[std::size_t(slot)].fetch_add(1) != 0) shared_slot = true;
        volatile double x = 0;
        for (int k = 0; k < 20000; ++k) x = x + k;
        busy[std::size_t(slot)].fetch_sub(1);
        std::lock_guard lock(m);
        seen.insert(std::this_thread::get_id());
      });
    });
    EXPECT_FALSE(bad_slot);
    EXPECT_FALSE(shared_slot);
    EXPECT_LE(seen.size(), std::size_t(threads));
  }
}

TEST(Parallel, AnExceptionInABodyReachesTheCallerAfterTheLoop) {
  par::Arena arena(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(arena.execute([&] {
    par::for_each_index(0, 50, [&](int i) {
      ++ran;
      if (i == 17) throw std::runtime_error("seventeen");
    });
  }),
               std::runtime_error);
  EXPECT_GE(ran.load(), 1);
  // The arena still works afterwards.
  std::atomic<int> after{0};
  arena.execute([&] { par::for_each_index(0, 10, [&](int) { ++after; }); });
  EXPECT_EQ(after.load(), 10);
}

TEST(Parallel, NestedLoopsAndConcurrentCallersComplete) {
  par::Arena arena(2);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c)
    callers.emplace_back([&] {
      for (int round = 0; round < 20; ++round)
        arena.execute([&] {
          par::for_each_index(0, 4, [&](int) { par::for_each_index(0, 5, [&](int) { ++total; }); });
        });
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 3 * 20 * 4 * 5);
}

TEST(Parallel, RuntimeIsTheOneThisBuildChose) {
  const std::string name = par::runtime_name();
  EXPECT_TRUE(name == "tbb" || name == "std") << name;
  EXPECT_GE(par::default_threads(), 1);
}

}  // namespace
}  // namespace aoi::test
