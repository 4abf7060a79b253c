#include "kernels/adam.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/thread_pool.h"

namespace clara {

namespace {

// The step's constants, each rounded to float once.
struct AdamConsts {
  float decay, l2, b1, c1, b2, c2, sqrt_bc2, eps, step;
  explicit AdamConsts(const AdamStep& s)
      : decay(s.decoupled ? float(1.0 - s.lr * s.weight_decay) : 1.f),
        l2(s.decoupled ? 0.f : float(s.weight_decay)),
        b1(float(s.beta1)), c1(float(1.0 - s.beta1)), b2(float(s.beta2)), c2(float(1.0 - s.beta2)),
        sqrt_bc2(float(std::sqrt(s.bias_correction2))), eps(float(s.eps)),
        step(float(s.lr / s.bias_correction1)) {}
};

// Elements [b, e): reads every input element before writing it, so outputs may alias inputs.
inline void adam_range(const AdamConsts& k, const float* p, const float* m, const float* v, const float* g,
                       float* p_out, float* m_out, float* v_out, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; ++i) {
    const float p0 = p[i];
    const float pi = p0 * k.decay;
    const float gi = g[i] + k.l2 * p0;
    const float mi = m[i] * k.b1 + gi * k.c1;
    const float vi = v[i] * k.b2 + gi * gi * k.c2;
    const float denom = std::sqrt(vi) / k.sqrt_bc2 + k.eps;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = pi - (mi / denom) * k.step;
  }
}

constexpr int64_t kAdamBlock = 16384;

}  // namespace

void adam_f32(const AdamStep& s, const float* p, const float* m, const float* v, const float* g, float* p_out,
              float* m_out, float* v_out, int64_t n) {
  const AdamConsts k(s);
  parallel_for(n, kAdamBlock, [&](int64_t b, int64_t e) { adam_range(k, p, m, v, g, p_out, m_out, v_out, b, e); });
}

void adam_f32_multi(const AdamStep& s, const AdamTensor* tensors, int64_t count) {
  const AdamConsts k(s);
  // blocks of at most kAdamBlock elements over all tensors, shared out in one parallel call
  struct Block {
    int64_t t, b, e;
  };
  std::vector<Block> blocks;
  for (int64_t t = 0; t < count; ++t)
    for (int64_t b = 0; b < tensors[t].n; b += kAdamBlock) blocks.push_back({t, b, std::min(tensors[t].n, b + kAdamBlock)});
  parallel_for(int64_t(blocks.size()), 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const Block& bl = blocks[size_t(i)];
      const AdamTensor& x = tensors[bl.t];
      adam_range(k, x.p, x.m, x.v, x.g, x.p, x.m, x.v, bl.b, bl.e);
    }
  });
}

}  // namespace clara
