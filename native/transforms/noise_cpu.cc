// Gaussian noise from a counter-based generator (CPU); the CUDA kernel computes the
// same numbers for the same (seed, index).
#include <cmath>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {

void gaussian_noise_cpu(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std) {
  const uint32_t key = noise_hash(seed);
  const float m = static_cast<float>(mean), sd = static_cast<float>(std);
  const int64_t pairs = (n + 1) / 2;
  parallel_for(pairs, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      float z0, z1;
      noise_pair(key, static_cast<uint32_t>(p), &z0, &z1);
      const int64_t i = 2 * p;
      out[i] = in[i] + (m + sd * z0);
      if (i + 1 < n) out[i + 1] = in[i + 1] + (m + sd * z1);
    }
  });
}

}  // namespace clara
