// Gaussian noise from a counter-based generator (CPU); the CUDA kernel computes the
// same numbers for the same (seed, index).
#include <cmath>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {

void gaussian_noise_cpu(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std) {
  const uint32_t key = noise_hash(seed);
  const float m = static_cast<float>(mean), sd = static_cast<float>(std);
  const int64_t full = n / 2;
  parallel_for(full, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      float z0, z1;
      noise_pair(key, static_cast<uint32_t>(p), &z0, &z1);
      out[2 * p] = in[2 * p] + (m + sd * z0);
      out[2 * p + 1] = in[2 * p + 1] + (m + sd * z1);
    }
  });
  if (n % 2) {
    float z0, z1;
    noise_pair(key, static_cast<uint32_t>(full), &z0, &z1);
    out[n - 1] = in[n - 1] + (m + sd * z0);
  }
}

}  // namespace clara
