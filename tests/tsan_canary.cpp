// A deliberate data race inside one of aoi's parallel loops: built only for
// the ThreadSanitizer pass, where CTest expects TSan to report it. If TSan
// stops seeing races through the loops (a suppression too broad, a runtime
// that hides hand-offs, TSan off), this test passes and so fails the run.
#include <cstdio>

#include "core/parallel.hpp"

int main() {
  long shared = 0;  // written by every iteration without synchronisation
  aoi::par::Arena arena(2);
  arena.execute([&] { aoi::par::for_each_index(0, 100000, [&](int i) { shared += i; }); });
  std::printf("sum %ld\n", shared);
  return 0;
}
