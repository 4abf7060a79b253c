// Intensity ops (CPU): affine intensity with optional clip, moments, normalize.
#include <algorithm>
#include <mutex>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {

void affine_intensity_cpu(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo,
                          double hi) {
  const float s = static_cast<float>(scale), t = static_cast<float>(shift);
  const float l = static_cast<float>(lo), h = static_cast<float>(hi);
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    if (clip) {
      for (int64_t i = b; i < e; ++i) out[i] = std::min(h, std::max(l, in[i] * s + t));
    } else {
      for (int64_t i = b; i < e; ++i) out[i] = in[i] * s + t;
    }
  });
}

void moments_cpu(const float* in, int64_t n, bool nonzero, double* sum, double* sumsq, int64_t* count) {
  std::mutex mu;
  double S = 0, Q = 0;
  int64_t N = 0;
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    double s = 0, q = 0;
    int64_t c = 0;
    if (!nonzero) {
      // 8 independent accumulators: the loop vectorizes without reassociating one sum
      double sa[8] = {0}, qa[8] = {0};
      int64_t i = b;
      for (; i + 8 <= e; i += 8)
        for (int l = 0; l < 8; ++l) { const double v = in[i + l]; sa[l] += v; qa[l] += v * v; }
      for (int l = 0; l < 8; ++l) { s += sa[l]; q += qa[l]; }
      for (; i < e; ++i) { const double v = in[i]; s += v; q += v * v; }
      c = e - b;
    } else {
      for (int64_t i = b; i < e; ++i) {
        const double v = in[i];
        if (v == 0) continue;
        s += v; q += v * v; ++c;
      }
    }
    std::lock_guard<std::mutex> lk(mu);
    S += s; Q += q; N += c;
  });
  *sum = S; *sumsq = Q; *count = N;
}

void normalize_cpu(const float* in, float* out, int64_t n, double mean, double inv_std, bool nonzero) {
  const float m = static_cast<float>(mean), s = static_cast<float>(inv_std);
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    if (nonzero) {
      for (int64_t i = b; i < e; ++i) out[i] = in[i] == 0 ? 0.f : (in[i] - m) * s;
    } else {
      for (int64_t i = b; i < e; ++i) out[i] = (in[i] - m) * s;
    }
  });
}

}  // namespace clara
