// Memory-bandwidth probe for the transforms benchmark's roofline: a read-only reduce, a
// copy and a fill over caller-given buffers, split over the thread pool like the kernels.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/thread_pool.h"
#include "transforms/transform_ops_cpu.h"

namespace clara {

uint32_t mem_probe_cpu(int kind, const float* src, float* dst, int64_t n) {
  std::atomic<uint32_t> acc{0};
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    if (kind == 0) {
      // read: integer sum of the words (vectorizes, no float reassociation needed)
      const uint32_t* w = reinterpret_cast<const uint32_t*>(src);
      uint32_t s = 0;
      for (int64_t i = b; i < e; ++i) s += w[i];
      acc.fetch_add(s);
    } else if (kind == 1) {
      std::memcpy(dst + b, src + b, sizeof(float) * (e - b));
    } else {
      std::fill(dst + b, dst + e, 1.0f);
    }
  });
  return acc.load();
}

}  // namespace clara
