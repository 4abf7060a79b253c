#include "kernels/label_onehot.h"

#include <algorithm>
#include <cmath>

#include "common/thread_pool.h"

namespace clara {

int32_t label_index(float v) {
  const double r = std::nearbyint(double(v));  // the default rounding mode: half to even
  if (!std::isfinite(r)) return 0;
  double t = std::fmod(r, 4294967296.0);
  if (t < 0) t += 4294967296.0;
  if (t >= 2147483648.0) t -= 4294967296.0;
  return int32_t(t);
}

void label_onehot_f32(const float* label, int64_t n, int64_t depth, float* out) {
  parallel_for(n, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, depth)), [&](int64_t b, int64_t e) {
    std::fill(out + b * depth, out + e * depth, 0.f);
    for (int64_t i = b; i < e; ++i) {
      const int32_t k = label_index(label[i]);
      if (k >= 0 && k < depth) out[i * depth + k] = 1.f;
    }
  });
}

}  // namespace clara
