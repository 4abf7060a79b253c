#include "kernels/softmax_dice.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/thread_pool.h"

namespace clara {

void softmax_dice_f32(const SoftmaxDiceGeom& g, const float* logits, const float* target, float* prob, float* stats,
                      float* f) {
  const int64_t c = g.c, v = g.v;
  const int64_t chunk = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, c));
  const int64_t chunks_per = (v + chunk - 1) / chunk, chunks = g.n * chunks_per;
  std::vector<double> part(size_t(chunks * c * 3), 0.0);
  parallel_for(chunks, 1, [&](int64_t k0, int64_t k1) {
    std::vector<float> e(static_cast<size_t>(c));
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t s = k / chunks_per, v0 = (k % chunks_per) * chunk, v1 = std::min(v, v0 + chunk);
      double* acc = part.data() + k * c * 3;
      for (int64_t i = v0; i < v1; ++i) {
        const int64_t off = (s * v + i) * c;
        const float* x = logits + off;
        const float* t = target + off;
        float* p = prob + off;
        float m = -INFINITY;
        for (int64_t j = 0; j < c; ++j) m = std::max(m, x[j]);
        float sum = 0.f;
        for (int64_t j = 0; j < c; ++j) {
          e[size_t(j)] = std::exp(x[j] - m);
          sum += e[size_t(j)];
        }
        for (int64_t j = 0; j < c; ++j) {
          const float pj = e[size_t(j)] / sum;
          p[j] = pj;
          acc[j * 3 + 0] += double(pj) * double(t[j]);
          acc[j * 3 + 1] += double(pj);
          acc[j * 3 + 2] += double(t[j]);
        }
      }
    }
  });
  const int64_t cc = c - g.c0;
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t j = 0; j < c; ++j) {
      double tp = 0, ps = 0, gs = 0;
      for (int64_t k = s * chunks_per; k < (s + 1) * chunks_per; ++k) {
        const double* a = part.data() + (k * c + j) * 3;
        tp += a[0];
        ps += a[1];
        gs += a[2];
      }
      float* st = stats + (s * c + j) * 3;
      st[0] = float(tp);
      st[1] = float(ps);
      st[2] = float(gs);
      if (j >= g.c0) f[s * cc + (j - g.c0)] = float(1.0 - (2.0 * tp + g.smooth_nr) / (ps + gs + g.smooth_dr));
    }
}

void softmax_dice_grad_f32(const SoftmaxDiceGeom& g, const float* dy, const float* prob, const float* target,
                           const float* stats, float* dlogits) {
  const int64_t c = g.c, v = g.v, cc = c - g.c0;
  // per (sample, class): dL/dp = a·t + b with a = -2·dy / den, b = dy·num / den²
  std::vector<float> a(size_t(g.n * c), 0.f), b(size_t(g.n * c), 0.f);
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t j = g.c0; j < c; ++j) {
      const float* st = stats + (s * c + j) * 3;
      const double num = 2.0 * st[0] + g.smooth_nr, den = double(st[1]) + st[2] + g.smooth_dr;
      const double d = dy[s * cc + (j - g.c0)];
      a[size_t(s * c + j)] = float(-2.0 * d / den);
      b[size_t(s * c + j)] = float(d * num / (den * den));
    }
  parallel_for(g.n * v, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, c)), [&](int64_t r0, int64_t r1) {
    std::vector<float> dp(static_cast<size_t>(c));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t s = r / v, off = r * c;
      const float* p = prob + off;
      const float* t = target + off;
      float* dx = dlogits + off;
      const float* as = a.data() + s * c;
      const float* bs = b.data() + s * c;
      float dot = 0.f;
      for (int64_t j = 0; j < c; ++j) {
        dp[size_t(j)] = as[j] * t[j] + bs[j];
        dot += p[j] * dp[size_t(j)];
      }
      for (int64_t j = 0; j < c; ++j) dx[j] = p[j] * (dp[size_t(j)] - dot);
    }
  });
}

}  // namespace clara
