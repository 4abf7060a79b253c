#include "kernels/pool3d.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "common/thread_pool.h"

namespace clara {
namespace {

struct Win {
  int d0, d1, h0, h1, w0, w1;
};

inline Win window(const Pool3DGeom& g, int od, int oh, int ow) {
  Win r;
  r.d0 = od * g.sd - g.pf; r.d1 = std::min(g.d, r.d0 + g.fd); r.d0 = std::max(0, r.d0);
  r.h0 = oh * g.sh - g.pt; r.h1 = std::min(g.h, r.h0 + g.fh); r.h0 = std::max(0, r.h0);
  r.w0 = ow * g.sw - g.pl; r.w1 = std::min(g.w, r.w0 + g.fw); r.w0 = std::max(0, r.w0);
  return r;
}

inline int64_t xidx(const Pool3DGeom& g, int n, int d, int h, int w) {
  return (((int64_t(n) * g.d + d) * g.h + h) * g.w + w) * g.c;
}

template <bool kMax>
void pool_fwd(const Pool3DGeom& g, const float* x, float* y) {
  parallel_for(int64_t(g.n) * g.od, 1, [&](int64_t b, int64_t e) {
    std::vector<float> acc(g.c);
    for (int64_t i = b; i < e; ++i) {
      int n = int(i / g.od), od = int(i % g.od);
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow) {
          Win r = window(g, od, oh, ow);
          std::fill(acc.begin(), acc.end(), kMax ? -std::numeric_limits<float>::infinity() : 0.f);
          int count = 0;
          for (int d = r.d0; d < r.d1; ++d)
            for (int h = r.h0; h < r.h1; ++h)
              for (int w = r.w0; w < r.w1; ++w) {
                const float* xs = x + xidx(g, n, d, h, w);
                float* a = acc.data();
                if (kMax) {
                  for (int c = 0; c < g.c; ++c) a[c] = xs[c] > a[c] ? xs[c] : a[c];
                } else {
                  for (int c = 0; c < g.c; ++c) a[c] += xs[c];
                }
                ++count;
              }
          float* yo = y + (((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.c;
          if (kMax) {
            std::memcpy(yo, acc.data(), sizeof(float) * g.c);
          } else {
            float inv = count > 0 ? 1.f / float(count) : 0.f;
            for (int c = 0; c < g.c; ++c) yo[c] = count > 0 ? acc[c] * inv : 0.f;
          }
        }
    }
  });
}

// Scatter-style gradients: windows of different output depths never overlap when
// sd >= fd, so (n, od) items run in parallel; otherwise one item per batch.
template <typename Fn>
void for_windows(const Pool3DGeom& g, float* dx, Fn fn) {
  const bool split_depth = g.sd >= g.fd;
  const int64_t per_n = split_depth ? g.od : 1;
  std::memset(dx, 0, sizeof(float) * size_t(g.n) * g.d * g.h * g.w * g.c);
  parallel_for(int64_t(g.n) * per_n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int n = int(i / per_n);
      int od0 = split_depth ? int(i % per_n) : 0, od1 = split_depth ? od0 + 1 : g.od;
      for (int od = od0; od < od1; ++od)
        for (int oh = 0; oh < g.oh; ++oh)
          for (int ow = 0; ow < g.ow; ++ow) fn(n, od, oh, ow);
    }
  });
}

}  // namespace

void max_pool3d(const Pool3DGeom& g, const float* x, float* y) { pool_fwd<true>(g, x, y); }
void avg_pool3d(const Pool3DGeom& g, const float* x, float* y) { pool_fwd<false>(g, x, y); }

namespace {

// The windows tile the input exactly (stride = filter, no padding, sizes divisible: the
// 2×2×2 pooling of a UNet): every dx element belongs to exactly one window, so each
// window writes its own elements (argmax → dy, others 0) with no zeroing pass and no
// scatter, channel-vectorized, in parallel over (n, od, oh) rows.
bool tiles_exactly(const Pool3DGeom& g) {
  return g.sd == g.fd && g.sh == g.fh && g.sw == g.fw && g.pf == 0 && g.pt == 0 && g.pl == 0 &&
         g.od * g.fd == g.d && g.oh * g.fh == g.h && g.ow * g.fw == g.w && g.fd * g.fh * g.fw <= 4096;
}

void max_pool3d_grad_tiled(const Pool3DGeom& g, const float* x, const float* dy, float* dx) {
  const int64_t rows = int64_t(g.n) * g.od * g.oh;
  const int64_t orow = int64_t(g.ow) * g.c;  // one (n, od, oh) row of dy, and of best / at
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, orow * g.fd * g.fh * g.fw)), [&](int64_t b, int64_t e) {
    std::vector<float> best_v(static_cast<size_t>(orow));
    std::vector<int32_t> at_v(static_cast<size_t>(orow));
    float* __restrict best = best_v.data();
    int32_t* __restrict at = at_v.data();
    const int64_t c = g.c, fw = g.fw;
    for (int64_t r = b; r < e; ++r) {
      const int oh = int(r % g.oh), od = int((r / g.oh) % g.od), n = int(r / (int64_t(g.oh) * g.od));
      for (int64_t i = 0; i < orow; ++i) {
        best[i] = -std::numeric_limits<float>::infinity();
        at[i] = -1;
      }
      // taps in tfjs's (d, h, w) order; the last position with x >= best wins, NaN never does.
      // Each (d, h) tap row of the input is one contiguous run of ow·fw·c floats.
      for (int d = 0; d < g.fd; ++d)
        for (int h = 0; h < g.fh; ++h) {
          const float* xr = x + xidx(g, n, od * g.fd + d, oh * g.fh + h, 0);
          const int32_t q0 = (d * g.fh + h) * g.fw;
          for (int64_t ow = 0; ow < g.ow; ++ow)
            for (int64_t w = 0; w < fw; ++w) {
              const float* __restrict xs = xr + (ow * fw + w) * c;
              float* __restrict bs = best + ow * c;
              int32_t* __restrict as = at + ow * c;
              const int32_t q = q0 + int32_t(w);
              for (int64_t ch = 0; ch < c; ++ch) {
                const bool ge = xs[ch] >= bs[ch];
                bs[ch] = ge ? xs[ch] : bs[ch];
                as[ch] = ge ? q : as[ch];
              }
            }
        }
      const float* __restrict dyr = dy + r * orow;
      for (int d = 0; d < g.fd; ++d)
        for (int h = 0; h < g.fh; ++h) {
          float* dr = dx + xidx(g, n, od * g.fd + d, oh * g.fh + h, 0);
          const int32_t q0 = (d * g.fh + h) * g.fw;
          for (int64_t ow = 0; ow < g.ow; ++ow)
            for (int64_t w = 0; w < fw; ++w) {
              float* __restrict o = dr + (ow * fw + w) * c;
              const int32_t* __restrict as = at + ow * c;
              const float* __restrict gy = dyr + ow * c;
              const int32_t q = q0 + int32_t(w);
              for (int64_t ch = 0; ch < c; ++ch) o[ch] = as[ch] == q ? gy[ch] : 0.f;
            }
        }
    }
  });
}

}  // namespace

void max_pool3d_grad(const Pool3DGeom& g, const float* x, const float* dy, float* dx) {
  if (tiles_exactly(g)) {
    max_pool3d_grad_tiled(g, x, dy, dx);
    return;
  }
  for_windows(g, dx, [&](int n, int od, int oh, int ow) {
    Win r = window(g, od, oh, ow);
    const float* dyo = dy + (((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.c;
    for (int c = 0; c < g.c; ++c) {
      float best = -std::numeric_limits<float>::infinity();
      int64_t at = -1;
      for (int d = r.d0; d < r.d1; ++d)
        for (int h = r.h0; h < r.h1; ++h)
          for (int w = r.w0; w < r.w1; ++w) {
            int64_t k = xidx(g, n, d, h, w) + c;
            if (x[k] >= best) { best = x[k]; at = k; }
          }
      if (at >= 0) dx[at] += dyo[c];
    }
  });
}

void avg_pool3d_grad(const Pool3DGeom& g, const float* dy, float* dx) {
  for_windows(g, dx, [&](int n, int od, int oh, int ow) {
    Win r = window(g, od, oh, ow);
    int count = (r.d1 - r.d0) * (r.h1 - r.h0) * (r.w1 - r.w0);
    if (count <= 0) return;
    float inv = 1.f / float(count);
    const float* dyo = dy + (((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.c;
    for (int d = r.d0; d < r.d1; ++d)
      for (int h = r.h0; h < r.h1; ++h)
        for (int w = r.w0; w < r.w1; ++w) {
          float* dxo = dx + xidx(g, n, d, h, w);
          for (int c = 0; c < g.c; ++c) dxo[c] += dyo[c] * inv;
        }
  });
}

}  // namespace clara
