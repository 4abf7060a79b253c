// Memory-bandwidth probe for the transforms benchmark's roofline: a read-only reduce, a
// copy and a fill over caller-given buffers, split over the thread pool like the kernels.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/thread_pool.h"
#include "transforms/stream_store.h"
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
    } else if (kind == 2) {
      std::fill(dst + b, dst + e, 1.0f);
    } else {
#if defined(CLARA_STREAM_AVX512)
      // 3: streaming copy, 4: streaming fill (non-temporal stores)
      if (kind == 3) map16(dst, b, e, true, [&](int64_t i) { return _mm512_loadu_ps(src + i); }, [&](int64_t i) { return src[i]; });
      else map16(dst, b, e, true, [](int64_t) { return _mm512_set1_ps(1.f); }, [](int64_t) { return 1.f; });
#else
      if (kind == 3) std::memcpy(dst + b, src + b, sizeof(float) * (e - b));
      else std::fill(dst + b, dst + e, 1.0f);
#endif
    }
  });
  return acc.load();
}

}  // namespace clara
