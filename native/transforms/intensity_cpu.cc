// Intensity ops (CPU): affine intensity with optional clip, moments, normalize.
#include <algorithm>
#include <mutex>

#include "common/thread_pool.h"
#include "transforms/stream_store.h"
#include "transforms/transform_ops.h"

namespace clara {

void affine_intensity_cpu(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo,
                          double hi) {
  const float s = static_cast<float>(scale), t = static_cast<float>(shift);
  const float l = static_cast<float>(lo), h = static_cast<float>(hi);
#if defined(CLARA_STREAM_AVX512)
  const bool stream = n * 4 >= kStreamMinBytes;
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    const __m512 vs = _mm512_set1_ps(s), vt = _mm512_set1_ps(t), vl = _mm512_set1_ps(l), vh = _mm512_set1_ps(h);
    if (clip) {
      // max(v, l) then min(., h): a NaN gives l, as std::min(h, std::max(l, v)) does
      map16(out, b, e, stream,
            [&](int64_t i) { return _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(in + i), vs), vt), vl), vh); },
            [&](int64_t i) { return std::min(h, std::max(l, in[i] * s + t)); });
    } else {
      map16(out, b, e, stream, [&](int64_t i) { return _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(in + i), vs), vt); },
            [&](int64_t i) { return in[i] * s + t; });
    }
  });
  return;
#endif
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
#if defined(CLARA_STREAM_AVX512)
    {
      // 16 floats a step into 4 independent double accumulators per moment (the add latency
      // no longer bounds the loop); v*v of a float is exact in double, so the FMA rounds once
      // like the reference's q += v*v. Zeros are masked out when nonzero.
      __m512d sa[4], qa[4];
      for (int l = 0; l < 4; ++l) { sa[l] = _mm512_setzero_pd(); qa[l] = _mm512_setzero_pd(); }
      int64_t i = b;
      for (; i + 32 <= e; i += 32) {
        for (int h = 0; h < 2; ++h) {
          const __m512 x = _mm512_loadu_ps(in + i + 16 * h);
          const __mmask16 m = nonzero ? _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_UQ) : __mmask16(0xffff);
          if (nonzero) c += __builtin_popcount(static_cast<unsigned>(m));
          const __m512d lo = _mm512_maskz_cvtps_pd(static_cast<__mmask8>(m), _mm512_castps512_ps256(x));
          const __m512d hi = _mm512_maskz_cvtps_pd(static_cast<__mmask8>(m >> 8), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
          sa[2 * h] = _mm512_add_pd(sa[2 * h], lo); qa[2 * h] = _mm512_fmadd_pd(lo, lo, qa[2 * h]);
          sa[2 * h + 1] = _mm512_add_pd(sa[2 * h + 1], hi); qa[2 * h + 1] = _mm512_fmadd_pd(hi, hi, qa[2 * h + 1]);
        }
      }
      s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(sa[0], sa[1]), _mm512_add_pd(sa[2], sa[3])));
      q = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(qa[0], qa[1]), _mm512_add_pd(qa[2], qa[3])));
      if (!nonzero) c = i - b;
      for (; i < e; ++i) {
        const double v = in[i];
        if (nonzero && v == 0) continue;
        s += v; q += v * v; ++c;
      }
    }
#else
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
#endif
    std::lock_guard<std::mutex> lk(mu);
    S += s; Q += q; N += c;
  });
  *sum = S; *sumsq = Q; *count = N;
}

void normalize_cpu(const float* in, float* out, int64_t n, double mean, double inv_std, bool nonzero) {
  const float m = static_cast<float>(mean), s = static_cast<float>(inv_std);
#if defined(CLARA_STREAM_AVX512)
  const bool stream = n * 4 >= kStreamMinBytes;
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    const __m512 vm = _mm512_set1_ps(m), vs = _mm512_set1_ps(s);
    if (nonzero) {
      map16(out, b, e, stream, [&](int64_t i) {
              const __m512 x = _mm512_loadu_ps(in + i);
              return _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_UQ), _mm512_sub_ps(x, vm), vs);
            },
            [&](int64_t i) { return in[i] == 0 ? 0.f : (in[i] - m) * s; });
    } else {
      map16(out, b, e, stream, [&](int64_t i) { return _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(in + i), vm), vs); },
            [&](int64_t i) { return (in[i] - m) * s; });
    }
  });
  return;
#endif
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    if (nonzero) {
      for (int64_t i = b; i < e; ++i) out[i] = in[i] == 0 ? 0.f : (in[i] - m) * s;
    } else {
      for (int64_t i = b; i < e; ++i) out[i] = (in[i] - m) * s;
    }
  });
}

}  // namespace clara
