// A deliberate data race inside a oneTBB loop body: built only for the
// ThreadSanitizer pass, where CTest expects TSan to report it. If TSan
// stops seeing races through TBB (a suppression too broad, TBB swapped for an
// uninstrumented one that hides hand-offs, TSan off), this test passes and so
// fails the run.
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdio>

int main() {
  long shared = 0;  // written by every iteration without synchronisation
  tbb::task_arena arena(2);
  arena.execute([&] {
    tbb::parallel_for(0, 100000, [&](int i) { shared += i; }, tbb::simple_partitioner());
  });
  std::printf("sum %ld\n", shared);
  return 0;
}
