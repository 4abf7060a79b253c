#include "kernels/adam.h"

#include <cmath>

#include "common/thread_pool.h"

namespace clara {

void adam_f32(const AdamStep& s, const float* p, const float* m, const float* v, const float* g, float* p_out,
              float* m_out, float* v_out, int64_t n) {
  const float decay = s.decoupled ? float(1.0 - s.lr * s.weight_decay) : 1.f;
  const float l2 = s.decoupled ? 0.f : float(s.weight_decay);
  const float b1 = float(s.beta1), c1 = float(1.0 - s.beta1), b2 = float(s.beta2), c2 = float(1.0 - s.beta2);
  const float sqrt_bc2 = float(std::sqrt(s.bias_correction2)), eps = float(s.eps);
  const float step = float(s.lr / s.bias_correction1);
  parallel_for(n, 16384, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float pi = p[i] * decay;
      const float gi = g[i] + l2 * p[i];
      const float mi = m[i] * b1 + gi * c1;
      const float vi = v[i] * b2 + gi * gi * c2;
      const float denom = std::sqrt(vi) / sqrt_bc2 + eps;
      m_out[i] = mi;
      v_out[i] = vi;
      p_out[i] = pi - (mi / denom) * step;
    }
  });
}

}  // namespace clara
