#include "kernels/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/thread_pool.h"

namespace clara {
namespace {

constexpr int64_t kChunkElems = 1 << 15;

// Per-channel sums over the V rows of each sample: acc[s, k, c] for K accumulated quantities,
// f(s, row pointer, acc row pointers) adding one row. Parallel over (s, row chunks) with fp32
// partials per chunk, combined in double in a fixed order (independent of the thread count).
template <int K, typename F>
void channel_sums(const NormGeom& n, std::vector<double>& out, F f) {
  const int64_t rows = std::max<int64_t>(1, kChunkElems / std::max<int64_t>(1, n.c));
  const int64_t chunks = std::max<int64_t>(1, (n.v + rows - 1) / rows);
  std::vector<float> part(size_t(n.s * chunks * K * n.c), 0.f);
  parallel_for(n.s * chunks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t s = t / chunks, ch = t % chunks;
      const int64_t r0 = ch * rows, r1 = std::min(n.v, r0 + rows);
      float* acc = part.data() + t * K * n.c;
      for (int64_t r = r0; r < r1; ++r) f(s, r, acc);
    }
  });
  out.assign(size_t(n.s * K * n.c), 0.0);
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const float* p = part.data() + (s * chunks + ch) * K * n.c;
      double* o = out.data() + s * K * n.c;
      for (int64_t j = 0; j < K * n.c; ++j) o[j] += p[j];
    }
}

// Sum of the per-channel totals of group g of sample s (channels g*per .. (g+1)*per - 1), or of
// the per-channel values times w[c] when w is given; base is the sample's offset in sums.
double group_total(const std::vector<double>& sums, int64_t base, int64_t g, int64_t per, const float* w = nullptr) {
  double t = 0;
  for (int64_t c = g * per; c < (g + 1) * per; ++c) t += (w ? double(w[c]) : 1.0) * sums[size_t(base + c)];
  return t;
}

}  // namespace

void group_norm_f32(const NormGeom& n, const float* x, const float* w, const float* b, float* y, float* mean, float* var) {
  const int64_t C = n.c, per = n.c / n.g;
  const double count = double(n.v) * double(per);
  std::vector<double> sums;
  channel_sums<1>(n, sums, [&](int64_t s, int64_t r, float* acc) {
    const float* row = x + (s * n.v + r) * C;
    for (int64_t c = 0; c < C; ++c) acc[c] += row[c];
  });
  std::vector<float> mc(size_t(n.s * C));  // each channel's group mean
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      const double t = group_total(sums, s * C, g, per);
      const float m = count > 0 ? float(t / count) : 0.f;
      mean[s * n.g + g] = m;
      for (int64_t c = g * per; c < (g + 1) * per; ++c) mc[size_t(s * C + c)] = m;
    }
  channel_sums<1>(n, sums, [&](int64_t s, int64_t r, float* acc) {
    const float* row = x + (s * n.v + r) * C;
    const float* m = mc.data() + s * C;
    for (int64_t c = 0; c < C; ++c) {
      const float d = row[c] - m[c];
      acc[c] += d * d;
    }
  });
  // y = x * scale[c] + shift[c] per sample
  std::vector<float> scale(size_t(n.s * C)), shift(size_t(n.s * C));
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      const double t = group_total(sums, s * C, g, per);
      const float vr = count > 0 ? float(t / count) : 0.f;
      var[s * n.g + g] = vr;
      const float rstd = 1.f / std::sqrt(vr + n.eps);
      for (int64_t c = g * per; c < (g + 1) * per; ++c) {
        const float a = w ? w[c] * rstd : rstd;
        scale[size_t(s * C + c)] = a;
        shift[size_t(s * C + c)] = (b ? b[c] : 0.f) - mc[size_t(s * C + c)] * a;
      }
    }
  parallel_for(n.s * n.v, std::max<int64_t>(1, kChunkElems / std::max<int64_t>(1, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t s = r / n.v;
      const float *row = x + r * C, *a = scale.data() + s * C, *sh = shift.data() + s * C;
      float* out = y + r * C;
      for (int64_t c = 0; c < C; ++c) out[c] = row[c] * a[c] + sh[c];
    }
  });
}

void group_norm_grad_f32(const NormGeom& n, const float* dy, const float* x, const float* mean, const float* var,
                         const float* w, float* dx, float* dw, float* db) {
  const int64_t C = n.c, per = n.c / n.g;
  const double count = double(n.v) * double(per);
  std::vector<float> mc(size_t(n.s * C)), rc(size_t(n.s * C));
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t c = 0; c < C; ++c) {
      mc[size_t(s * C + c)] = mean[s * n.g + c / per];
      rc[size_t(s * C + c)] = 1.f / std::sqrt(var[s * n.g + c / per] + n.eps);
    }
  // per (s, c): Σ dy and Σ dy·xhat
  std::vector<double> sums;
  channel_sums<2>(n, sums, [&](int64_t s, int64_t r, float* acc) {
    const float *g = dy + (s * n.v + r) * C, *row = x + (s * n.v + r) * C;
    const float *m = mc.data() + s * C, *rs = rc.data() + s * C;
    for (int64_t c = 0; c < C; ++c) {
      acc[c] += g[c];
      acc[C + c] += g[c] * ((row[c] - m[c]) * rs[c]);
    }
  });
  if (w) {
    for (int64_t c = 0; c < C; ++c) {
      double a = 0, bsum = 0;
      for (int64_t s = 0; s < n.s; ++s) {
        bsum += sums[size_t(s * 2 * C + c)];
        a += sums[size_t(s * 2 * C + C + c)];
      }
      dw[c] = float(a);
      db[c] = float(bsum);
    }
  }
  // dx = rstd * (dxh - mean_g(dxh) - xhat * mean_g(dxh·xhat)), dxh = dy * w
  std::vector<float> k1(size_t(n.s * C)), k2(size_t(n.s * C));
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      const double a = group_total(sums, s * 2 * C, g, per, w), bsum = group_total(sums, s * 2 * C + C, g, per, w);
      for (int64_t c = g * per; c < (g + 1) * per; ++c) {
        k1[size_t(s * C + c)] = count > 0 ? float(a / count) : 0.f;
        k2[size_t(s * C + c)] = count > 0 ? float(bsum / count) : 0.f;
      }
    }
  parallel_for(n.s * n.v, std::max<int64_t>(1, kChunkElems / std::max<int64_t>(1, C)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t s = r / n.v;
      const float *g = dy + r * C, *row = x + r * C;
      const float *m = mc.data() + s * C, *rs = rc.data() + s * C, *a = k1.data() + s * C, *bb = k2.data() + s * C;
      float* out = dx + r * C;
      for (int64_t c = 0; c < C; ++c) {
        const float xh = (row[c] - m[c]) * rs[c];
        out[c] = rs[c] * ((w ? w[c] : 1.f) * g[c] - a[c] - xh * bb[c]);
      }
    }
  });
}

}  // namespace clara
