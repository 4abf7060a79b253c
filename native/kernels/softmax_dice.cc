#include "kernels/softmax_dice.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/vec_exp.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {
namespace {

// Voxels per task: the per-chunk partial sums are added in double in a fixed order, so the
// result does not depend on the thread count.
int64_t chunk_voxels(int64_t c) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(1, c)); }

// Two classes: p1 = sigmoid(x1 - x0), p0 = sigmoid(x0 - x1), both from one exp(-|d|) (each
// probability keeps its relative precision, as a softmax does). acc: tp0, ps0, gs0, tp1, ps1, gs1.
inline void two_class(float x0, float x1, float t0, float t1, float* p, float* acc) {
  const float d = x1 - x0;
  const float e = exp_poly(-std::fabs(d));
  const float big = 1.f / (1.f + e), small = e * big;
  float p1 = d >= 0.f ? big : small, p0 = d >= 0.f ? small : big;
  if (d != d) p0 = p1 = d;
  p[0] = p0;
  p[1] = p1;
  acc[0] += p0 * t0;
  acc[1] += p0;
  acc[2] += t0;
  acc[3] += p1 * t1;
  acc[4] += p1;
  acc[5] += t1;
}

// Rows [v0, v1) of one sample, two classes; acc as above (float partials of one chunk).
void two_class_rows(const float* x, const float* t, float* p, int64_t v0, int64_t v1, float* acc) {
  int64_t i = v0;
#if defined(__AVX512F__)
  const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512 one = _mm512_set1_ps(1.f), zero = _mm512_setzero_ps();
  __m512 a[6] = {zero, zero, zero, zero, zero, zero};
  for (; i + 16 <= v1; i += 16) {
    const float* xi = x + 2 * i;
    const float* ti = t + 2 * i;
    const __m512 xa = _mm512_loadu_ps(xi), xb = _mm512_loadu_ps(xi + 16);
    const __m512 ta = _mm512_loadu_ps(ti), tb = _mm512_loadu_ps(ti + 16);
    const __m512 x0 = _mm512_permutex2var_ps(xa, ev, xb), x1 = _mm512_permutex2var_ps(xa, od, xb);
    const __m512 t0 = _mm512_permutex2var_ps(ta, ev, tb), t1 = _mm512_permutex2var_ps(ta, od, tb);
    const __m512 d = _mm512_sub_ps(x1, x0);
    const __m512 e = exp512(_mm512_sub_ps(zero, _mm512_abs_ps(d)));
    const __m512 big = _mm512_div_ps(one, _mm512_add_ps(one, e)), small = _mm512_mul_ps(e, big);
    const __mmask16 pos = _mm512_cmp_ps_mask(d, zero, _CMP_GE_OQ), nan = _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
    __m512 p1 = _mm512_mask_blend_ps(pos, small, big), p0 = _mm512_mask_blend_ps(pos, big, small);
    p1 = _mm512_mask_blend_ps(nan, p1, d);
    p0 = _mm512_mask_blend_ps(nan, p0, d);
    _mm512_storeu_ps(p + 2 * i, _mm512_permutex2var_ps(p0, lo, p1));
    _mm512_storeu_ps(p + 2 * i + 16, _mm512_permutex2var_ps(p0, hi, p1));
    a[0] = _mm512_fmadd_ps(p0, t0, a[0]);
    a[1] = _mm512_add_ps(a[1], p0);
    a[2] = _mm512_add_ps(a[2], t0);
    a[3] = _mm512_fmadd_ps(p1, t1, a[3]);
    a[4] = _mm512_add_ps(a[4], p1);
    a[5] = _mm512_add_ps(a[5], t1);
  }
  for (int k = 0; k < 6; ++k) acc[k] += _mm512_reduce_add_ps(a[k]);
#endif
  for (; i < v1; ++i) two_class(x[2 * i], x[2 * i + 1], t[2 * i], t[2 * i + 1], p + 2 * i, acc);
}

// Any class count: rows [v0, v1) of one sample (offsets already applied); acc [c, 3].
void any_class_rows(const float* x, const float* t, float* p, int64_t v0, int64_t v1, int64_t c, float* acc) {
  for (int64_t i = v0; i < v1; ++i) {
    const float* xi = x + i * c;
    const float* ti = t + i * c;
    float* pi = p + i * c;
    float m = -INFINITY;
    bool nan = false;
    for (int64_t j = 0; j < c; ++j) {
      m = std::max(m, xi[j]);
      nan |= xi[j] != xi[j];
    }
    float sum = 0.f;
    for (int64_t j = 0; j < c; ++j) {
      pi[j] = exp_poly(xi[j] - m);
      sum += pi[j];
    }
    const float inv = 1.f / sum;
    for (int64_t j = 0; j < c; ++j) {
      const float pj = nan ? NAN : pi[j] * inv;
      pi[j] = pj;
      acc[j * 3 + 0] += pj * ti[j];
      acc[j * 3 + 1] += pj;
      acc[j * 3 + 2] += ti[j];
    }
  }
}

}  // namespace

void softmax_dice_f32(const SoftmaxDiceGeom& g, const float* logits, const float* target, float* prob, float* stats,
                      float* f) {
  const int64_t c = g.c, v = g.v;
  const int64_t chunk = chunk_voxels(c);
  const int64_t chunks_per = (v + chunk - 1) / chunk, chunks = g.n * chunks_per;
  std::vector<float> part(size_t(chunks * c * 3), 0.f);
  parallel_for(chunks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t s = k / chunks_per, v0 = (k % chunks_per) * chunk, v1 = std::min(v, v0 + chunk);
      float* acc = part.data() + k * c * 3;
      const int64_t off = s * v * c;
      if (c == 2) {
        float a6[6] = {0, 0, 0, 0, 0, 0};
        two_class_rows(logits + off, target + off, prob + off, v0, v1, a6);
        for (int j = 0; j < 2; ++j)
          for (int q = 0; q < 3; ++q) acc[j * 3 + q] = a6[j * 3 + q];
      } else {
        any_class_rows(logits + off, target + off, prob + off, v0, v1, c, acc);
      }
    }
  });
  const int64_t cc = c - g.c0;
  for (int64_t s = 0; s < g.n; ++s)
    for (int64_t j = 0; j < c; ++j) {
      double tp = 0, ps = 0, gs = 0;
      for (int64_t k = s * chunks_per; k < (s + 1) * chunks_per; ++k) {
        const float* a = part.data() + (k * c + j) * 3;
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
  const int64_t chunk = chunk_voxels(c), chunks_per = (v + chunk - 1) / chunk;
  parallel_for(g.n * chunks_per, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t s = k / chunks_per, v0 = (k % chunks_per) * chunk, v1 = std::min(v, v0 + chunk);
      const float* as = a.data() + s * c;
      const float* bs = b.data() + s * c;
      const int64_t off = s * v * c;
      const float* p = prob + off;
      const float* t = target + off;
      float* dx = dlogits + off;
      if (c == 2) {
        // dx0 = p0·p1·(dp0 - dp1) = -dx1 (softmax's Jacobian for two classes)
        const float a0 = as[0], a1 = as[1], b0 = bs[0], b1 = bs[1];
        const float* __restrict pr = p;
        const float* __restrict tr = t;
        float* __restrict dr = dx;
        for (int64_t i = v0; i < v1; ++i) {
          const float p0 = pr[2 * i], p1 = pr[2 * i + 1];
          const float q = p0 * p1 * ((a0 * tr[2 * i] + b0) - (a1 * tr[2 * i + 1] + b1));
          dr[2 * i] = q;
          dr[2 * i + 1] = -q;
        }
        continue;
      }
      for (int64_t i = v0; i < v1; ++i) {
        const float* pi = p + i * c;
        const float* ti = t + i * c;
        float* di = dx + i * c;
        float dot = 0.f;
        for (int64_t j = 0; j < c; ++j) {
          di[j] = as[j] * ti[j] + bs[j];  // dL/dp_j, then overwritten with dL/dx_j
          dot += pi[j] * di[j];
        }
        for (int64_t j = 0; j < c; ++j) di[j] = pi[j] * (di[j] - dot);
      }
    }
  });
}

}  // namespace clara
