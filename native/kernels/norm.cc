#include "kernels/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/thread_pool.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {
namespace {

constexpr int64_t kChunkElems = 1 << 14;
// Floats per run (about): long enough to amortise a run's setup, short enough for L1.
constexpr int64_t kRun = 64;

// A sample's rows are walked as flat runs of `width` floats: `per` whole rows of C channels
// (per = kRun / C for C < kRun, else 1), so a few channels do not cost a short loop per row. Element
// i of a run is channel i % C: per-channel parameters are laid out as patterns of that width.
struct Layout {
  int64_t C, per, width, rows_per_chunk, chunks;  // chunks per sample
  explicit Layout(const NormGeom& n)
      : C(n.c),
        per(n.c < kRun ? kRun / std::max<int64_t>(1, n.c) : 1),
        width(per * n.c),
        rows_per_chunk(std::max<int64_t>(per, kChunkElems / std::max<int64_t>(1, n.c)) / per * per),
        chunks(std::max<int64_t>(1, (n.v + rows_per_chunk - 1) / rows_per_chunk)) {}
};

// patterns[s * width + i] = vals[s * C + i % C]
std::vector<float> patterns(const Layout& L, int64_t S, const std::vector<float>& vals) {
  std::vector<float> p(size_t(S * L.width));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t i = 0; i < L.width; ++i) p[size_t(s * L.width + i)] = vals[size_t(s * L.C + i % L.C)];
  return p;
}

// The PReLU alphas (one shared, or one per channel) as a pattern of the run width.
std::vector<float> alpha_pattern(const Layout& L, const float* alpha, int64_t n_alpha) {
  std::vector<float> p(size_t(L.width));
  for (int64_t i = 0; i < L.width; ++i) p[size_t(i)] = n_alpha == 1 ? alpha[0] : alpha[i % L.C];
  return p;
}

// Per-(sample, channel) sums of K quantities: f(s, run offset, run length, acc[K][width]) adds one
// run to one chunk's fp32 accumulators; chunks are folded per channel and added in double in a
// fixed order (independent of the thread count). out[s][k][c].
template <int K, typename F>
void channel_sums(const NormGeom& n, const Layout& L, std::vector<double>& out, F f) {
  const int64_t W = L.width;
  std::vector<float> part(size_t(n.s * L.chunks * K * L.C), 0.f);
  parallel_for(n.s * L.chunks, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> acc(size_t(K * W));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t s = t / L.chunks, ch = t % L.chunks;
      const int64_t r0 = ch * L.rows_per_chunk, r1 = std::min(n.v, r0 + L.rows_per_chunk);
      std::fill(acc.begin(), acc.end(), 0.f);
      const int64_t begin = (s * n.v + r0) * L.C, end = (s * n.v + r1) * L.C;
      for (int64_t off = begin; off < end; off += W) f(s, off, std::min(W, end - off), acc.data());
      float* p = part.data() + t * K * L.C;
      for (int k = 0; k < K; ++k)
        for (int64_t i = 0; i < W; ++i) p[k * L.C + i % L.C] += acc[size_t(k * W + i)];
    }
  });
  out.assign(size_t(n.s * K * L.C), 0.0);
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t ch = 0; ch < L.chunks; ++ch) {
      const float* p = part.data() + (s * L.chunks + ch) * K * L.C;
      double* o = out.data() + s * K * L.C;
      for (int64_t j = 0; j < K * L.C; ++j) o[j] += p[j];
    }
}

// Element-wise pass over every run of every sample, in parallel: f(s, run offset, run length).
template <typename F>
void each_run(const NormGeom& n, const Layout& L, F f) {
  parallel_for(n.s * L.chunks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t s = t / L.chunks, ch = t % L.chunks;
      const int64_t r0 = ch * L.rows_per_chunk, r1 = std::min(n.v, r0 + L.rows_per_chunk);
      const int64_t begin = (s * n.v + r0) * L.C, end = (s * n.v + r1) * L.C;
      for (int64_t off = begin; off < end; off += L.width) f(s, off, std::min(L.width, end - off));
    }
  });
}

// out[i] = dy[i] · step(y[i]) with y = x·a + sh (the forward's ReLU input, recomputed): tfjs's
// ReluGrad, where inf · 0 is NaN too and a NaN y gives NaN (y - y carries it: y is never
// infinite, the norm of a volume holding inf is NaN throughout).
void relu_masked_dy(const float* dy, const float* x, const float* a, const float* sh, float* out, int64_t len) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 one = _mm512_set1_ps(1.f), zero = _mm512_setzero_ps();
  for (; i < len; i += 16) {
    const __mmask16 k = len - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (len - i)) - 1);
    const __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, sh + i));
    const __m512 step = _mm512_add_ps(_mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ), zero, one), _mm512_sub_ps(v, v));
    _mm512_mask_storeu_ps(out + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), step));
  }
#endif
  for (; i < len; ++i) {
    const float v = x[i] * a[i] + sh[i];
    out[i] = dy[i] * ((v > 0.f ? 1.f : 0.f) + (v - v));
  }
}

// The fused PReLU's gradient for one run: out[i] = dy · (y > 0 ? 1 : alpha) and acc[i] +=
// dy · y where y <= 0 (dalpha's lanes), y = x·a + sh recomputed; tfjs's / PyTorch's semantics
// (a NaN y takes the alpha branch and puts NaN into dalpha).
void prelu_masked_dy(const float* dy, const float* x, const float* a, const float* sh, const float* al, float* out,
                     float* acc, int64_t len) {
  int64_t i = 0;
#if defined(__AVX512F__)
  const __m512 zero = _mm512_setzero_ps();
  for (; i < len; i += 16) {
    const __mmask16 k = len - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (len - i)) - 1);
    const __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + i), _mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, sh + i));
    const __m512 g = _mm512_maskz_loadu_ps(k, dy + i);
    const __mmask16 pos = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ);
    _mm512_mask_storeu_ps(out + i, k, _mm512_mask_blend_ps(pos, _mm512_mul_ps(g, _mm512_maskz_loadu_ps(k, al + i)), g));
    const __m512 s = _mm512_maskz_mul_ps(__mmask16(k & ~pos), g, v);
    _mm512_mask_storeu_ps(acc + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, acc + i), s));
  }
#endif
  for (; i < len; ++i) {
    const float v = x[i] * a[i] + sh[i], g = dy[i];
    const bool pos = v > 0.f;
    out[i] = pos ? g : g * al[i];
    acc[i] += pos ? 0.f : g * v;
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

namespace {

template <NormAct act>
void group_norm_impl(const NormGeom& n, const float* x, const float* w, const float* b, float* y, float* mean, float* var,
                     const float* alpha, int64_t n_alpha) {
  const int64_t C = n.c, per = n.c / n.g, S = n.s;
  const Layout L(n);
  const int64_t W = L.width;
  const double count = double(n.v) * double(per);
  // One pass for both statistics: sums of d = x - k and d² per channel, shifted by k = the mean
  // of the sample's first rows (close to the channel's mean, so Σd² - (Σd)²/n keeps its digits);
  // the group's mean and squared deviations follow exactly from these in double.
  const int64_t head = std::min<int64_t>(n.v, 64);
  std::vector<float> kc(size_t(S * C), 0.f);
  for (int64_t s = 0; s < S; ++s)
    for (int64_t c = 0; c < C; ++c) {
      double t = 0;
      for (int64_t r = 0; r < head; ++r) t += x[(s * n.v + r) * C + c];
      kc[size_t(s * C + c)] = head > 0 ? float(t / double(head)) : 0.f;
    }
  const std::vector<float> pk = patterns(L, S, kc);
  std::vector<double> sums;
  channel_sums<2>(n, L, sums, [&](int64_t s, int64_t off, int64_t len, float* acc) {
    const float *xr = x + off, *k = pk.data() + s * W;
    float* a1 = acc + W;
    for (int64_t i = 0; i < len; ++i) {
      const float d = xr[i] - k[i];
      acc[i] += d;
      a1[i] += d * d;
    }
  });
  std::vector<float> mc(size_t(S * C));  // each channel's group mean
  std::vector<double> vg(size_t(S * n.g));
  const double nv = double(n.v);
  for (int64_t s = 0; s < S; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      double t = 0;
      for (int64_t c = g * per; c < (g + 1) * per; ++c) t += sums[size_t(s * 2 * C + c)] + nv * kc[size_t(s * C + c)];
      const double m = count > 0 ? t / count : 0.0;
      double q = 0;  // Σ (x - m)² = Σ d² + 2 (k - m) Σ d + n (k - m)² per channel
      for (int64_t c = g * per; c < (g + 1) * per; ++c) {
        const double km = double(kc[size_t(s * C + c)]) - m;
        q += sums[size_t(s * 2 * C + C + c)] + 2.0 * km * sums[size_t(s * 2 * C + c)] + nv * km * km;
      }
      vg[size_t(s * n.g + g)] = count > 0 ? std::max(0.0, q / count) : 0.0;
      mean[s * n.g + g] = float(m);
      for (int64_t c = g * per; c < (g + 1) * per; ++c) mc[size_t(s * C + c)] = float(m);
    }
  // y = x * scale[c] + shift[c] per sample
  std::vector<float> scale(size_t(S * C)), shift(size_t(S * C));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      const float vr = float(vg[size_t(s * n.g + g)]);
      var[s * n.g + g] = vr;
      const float rstd = 1.f / std::sqrt(vr + n.eps);
      for (int64_t c = g * per; c < (g + 1) * per; ++c) {
        const float a = w ? w[c] * rstd : rstd;
        scale[size_t(s * C + c)] = a;
        shift[size_t(s * C + c)] = (b ? b[c] : 0.f) - mc[size_t(s * C + c)] * a;
      }
    }
  const std::vector<float> pa = patterns(L, S, scale), pb = patterns(L, S, shift);
  const std::vector<float> pal = act == NormAct::kPrelu ? alpha_pattern(L, alpha, n_alpha) : std::vector<float>();
  each_run(n, L, [&](int64_t s, int64_t off, int64_t len) {
    const float *__restrict xr = x + off, *__restrict a = pa.data() + s * W, *__restrict sh = pb.data() + s * W;
    float* __restrict out = y + off;
    if constexpr (act == NormAct::kRelu)  // tfjs's Relu: NaN stays NaN
      for (int64_t i = 0; i < len; ++i) {
        const float v = xr[i] * a[i] + sh[i];
        out[i] = v < 0.f ? 0.f : v;
      }
    else if constexpr (act == NormAct::kPrelu) {  // tfjs's Prelu: v > 0 ? v : alpha·v
      const float* __restrict al = pal.data();
      for (int64_t i = 0; i < len; ++i) {
        const float v = xr[i] * a[i] + sh[i];
        out[i] = v > 0.f ? v : al[i] * v;
      }
    } else
      for (int64_t i = 0; i < len; ++i) out[i] = xr[i] * a[i] + sh[i];
  });
}

template <NormAct act>
void group_norm_grad_impl(const NormGeom& n, const float* dy, const float* x, const float* mean, const float* var,
                          const float* w, const float* b, float* dx, float* dw, float* db, const float* alpha,
                          int64_t n_alpha, float* dalpha) {
  constexpr bool fused = act != NormAct::kNone;
  const int64_t C = n.c, per = n.c / n.g, S = n.s;
  const Layout L(n);
  const int64_t W = L.width;
  const double count = double(n.v) * double(per);
  std::vector<float> mc(size_t(S * C)), rc(size_t(S * C)), ac(size_t(S * C)), bc(size_t(S * C));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t c = 0; c < C; ++c) {
      const float m = mean[s * n.g + c / per], r = 1.f / std::sqrt(var[s * n.g + c / per] + n.eps);
      mc[size_t(s * C + c)] = m;
      rc[size_t(s * C + c)] = r;
      // the forward's y = x * a + sh, recomputed for the fused ReLU's mask
      const float a = w ? w[c] * r : r;
      ac[size_t(s * C + c)] = a;
      bc[size_t(s * C + c)] = (b ? b[c] : 0.f) - m * a;
    }
  const std::vector<float> pm = patterns(L, S, mc), pr = patterns(L, S, rc);
  const std::vector<float> pa = fused ? patterns(L, S, ac) : std::vector<float>(), pb = fused ? patterns(L, S, bc) : std::vector<float>();
  const float* pa0 = fused ? pa.data() : nullptr;
  const float* pb0 = fused ? pb.data() : nullptr;
  // Through the fused activation: its gradient of dy into dx first (a streaming pass; PReLU's
  // also sums dalpha per channel), which the two passes below then read as their dy (the second
  // overwrites it element by element in place).
  const float* g_in = dy;
  if constexpr (act == NormAct::kRelu) {
    each_run(n, L, [&](int64_t s, int64_t off, int64_t len) { relu_masked_dy(dy + off, x + off, pa0 + s * W, pb0 + s * W, dx + off, len); });
    g_in = dx;
  } else if constexpr (act == NormAct::kPrelu) {
    const std::vector<float> pal = alpha_pattern(L, alpha, n_alpha);
    std::vector<double> da;
    channel_sums<1>(n, L, da, [&](int64_t s, int64_t off, int64_t len, float* acc) {
      prelu_masked_dy(dy + off, x + off, pa0 + s * W, pb0 + s * W, pal.data(), dx + off, acc, len);
    });
    for (int64_t j = 0; j < n_alpha; ++j) {
      double t = 0;
      for (int64_t s = 0; s < S; ++s)
        for (int64_t c = 0; c < C; ++c)
          if (n_alpha == 1 || c == j) t += da[size_t(s * C + c)];
      dalpha[j] = float(t);
    }
    g_in = dx;
  }
  // per (s, c): Σ dy and Σ dy·xhat
  std::vector<double> sums;
  channel_sums<2>(n, L, sums, [&](int64_t s, int64_t off, int64_t len, float* acc) {
    const float *xr = x + off, *gr = g_in + off, *m = pm.data() + s * W, *rs = pr.data() + s * W;
    float* a1 = acc + W;
    for (int64_t i = 0; i < len; ++i) {
      const float g = gr[i];
      acc[i] += g;
      a1[i] += g * ((xr[i] - m[i]) * rs[i]);
    }
  });
  if (w) {
    for (int64_t c = 0; c < C; ++c) {
      double a = 0, bsum = 0;
      for (int64_t s = 0; s < S; ++s) {
        bsum += sums[size_t(s * 2 * C + c)];
        a += sums[size_t(s * 2 * C + C + c)];
      }
      dw[c] = float(a);
      db[c] = float(bsum);
    }
  }
  // dx = rstd * (dxh - mean_g(dxh) - xhat * mean_g(dxh·xhat)), dxh = dy * w
  std::vector<float> k1(size_t(S * C)), k2(size_t(S * C)), wc(size_t(S * C));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      const double a = group_total(sums, s * 2 * C, g, per, w), bsum = group_total(sums, s * 2 * C + C, g, per, w);
      for (int64_t c = g * per; c < (g + 1) * per; ++c) {
        k1[size_t(s * C + c)] = count > 0 ? float(a / count) : 0.f;
        k2[size_t(s * C + c)] = count > 0 ? float(bsum / count) : 0.f;
        wc[size_t(s * C + c)] = w ? w[c] : 1.f;
      }
    }
  const std::vector<float> pk1 = patterns(L, S, k1), pk2 = patterns(L, S, k2), pw = patterns(L, S, wc);
  each_run(n, L, [&](int64_t s, int64_t off, int64_t len) {
    const float *xr = x + off, *gr = g_in + off, *m = pm.data() + s * W, *rs = pr.data() + s * W,
                *a = pk1.data() + s * W, *bb = pk2.data() + s * W, *ww = pw.data() + s * W;
    float* out = dx + off;
    for (int64_t i = 0; i < len; ++i) {
      const float xh = (xr[i] - m[i]) * rs[i];
      out[i] = rs[i] * (ww[i] * gr[i] - a[i] - xh * bb[i]);
    }
  });
}

}  // namespace

void group_norm_f32(const NormGeom& n, const float* x, const float* w, const float* b, float* y, float* mean, float* var,
                    NormAct act, const float* alpha, int64_t n_alpha) {
  switch (act) {
    case NormAct::kRelu: group_norm_impl<NormAct::kRelu>(n, x, w, b, y, mean, var, alpha, n_alpha); break;
    case NormAct::kPrelu: group_norm_impl<NormAct::kPrelu>(n, x, w, b, y, mean, var, alpha, n_alpha); break;
    default: group_norm_impl<NormAct::kNone>(n, x, w, b, y, mean, var, alpha, n_alpha); break;
  }
}

void group_norm_grad_f32(const NormGeom& n, const float* dy, const float* x, const float* mean, const float* var,
                         const float* w, const float* b, float* dx, float* dw, float* db, NormAct act, const float* alpha,
                         int64_t n_alpha, float* dalpha) {
  switch (act) {
    case NormAct::kRelu:
      group_norm_grad_impl<NormAct::kRelu>(n, dy, x, mean, var, w, b, dx, dw, db, alpha, n_alpha, dalpha);
      break;
    case NormAct::kPrelu:
      group_norm_grad_impl<NormAct::kPrelu>(n, dy, x, mean, var, w, b, dx, dw, db, alpha, n_alpha, dalpha);
      break;
    default: group_norm_grad_impl<NormAct::kNone>(n, dy, x, mean, var, w, b, dx, dw, db, alpha, n_alpha, dalpha); break;
  }
}

}  // namespace clara
