// parallel_for under back-to-back calls of changing size: every item runs exactly once
// per call and no call waits forever. A thread still leaving one call used to be able to
// claim a chunk of the next call by its old index and count it twice (done > chunks:
// the caller then waited forever; seen in a training run on AMX convolutions).
#include <atomic>
#include <cstdio>
#include <vector>

#include "common/thread_pool.h"

int main() {
  clara::set_num_threads(2);  // the old pool hung within a second at 2 threads (0.4 s for these calls when right)
  std::vector<std::atomic<int>> hits(64);
  int bad = 0;
  for (int call = 0; call < 300000 && bad == 0; ++call) {
    // alternate few and many chunks: the old race needed a larger chunk count right after a smaller one
    const int64_t n = (call % 3 == 0) ? 2 : (call % 3 == 1) ? 64 : 9;
    for (int64_t i = 0; i < n; ++i) hits[size_t(i)].store(0);
    clara::parallel_for(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i)
      if (hits[size_t(i)].load() != 1) {
        std::fprintf(stderr, "call %d: item %lld ran %d times\n", call, (long long)i, hits[size_t(i)].load());
        ++bad;
        break;
      }
  }
  std::printf("thread_pool: %s\n", bad ? "FAILED" : "ok");
  return bad ? 1 : 0;
}
