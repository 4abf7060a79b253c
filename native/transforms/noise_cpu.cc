// Gaussian noise from a counter-based generator (CPU); the CUDA kernel computes the
// same numbers for the same (seed, index).
#include <cmath>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {

void gaussian_noise_cpu(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std) {
  const uint32_t key = noise_hash(seed);
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const uint32_t c = static_cast<uint32_t>(i) * 2u;
      const uint32_t h1 = noise_hash(key ^ noise_hash(c)), h2 = noise_hash(key ^ noise_hash(c + 1u));
      const double u1 = (double((h1 >> 8) + 1u)) * (1.0 / 16777216.0);
      const double u2 = double(h2 >> 8) * (1.0 / 16777216.0);
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
      out[i] = static_cast<float>(in[i] + (mean + std * z));
    }
  });
}

}  // namespace clara
