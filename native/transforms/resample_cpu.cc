// Trilinear / nearest resampling through a voxel-to-voxel affine (CPU).
//
// Two paths, both equal to the TypeScript reference (src/transforms/ops/resample.ts):
// - row path (xform[2] = xform[6] = 0: the fastest output axis moves only the fastest input
//   axis; Spacingd's zoom, rotations in the (i, j) plane): x and y taps once per row (four
//   source lines), z taps from 16-float windows of those lines by permutes (no gathers) in
//   the row's interior span; the arithmetic is the reference's term for term (bit-exact).
// - general (any affine): the span of k whose taps are all inside the input is computed once
//   per row (analytically, then checked with the kernel's own arithmetic); that interior runs
//   branch-free (AVX-512, 8 voxels a step, one 64-bit gather per tap pair; with border
//   padding the clamped formula covers the whole row) and the padding rule only runs on the
//   row's two ends. Exact for nearest, within 1e-5 for trilinear (nested lerps).
// Portable builds run the same row/span structure with scalar loops.
// This file is compiled with -ffp-contract=off (CMakeLists.txt): coordinates are
// b + m*k rounded twice, as in JavaScript, so nearest picks the same voxel.
#include <algorithm>
#include <cmath>

#if defined(__AVX512F__) && defined(__AVX2__) && !defined(CLARA_NO_AVX512_RESAMPLE)
#include <immintrin.h>
#define CLARA_RESAMPLE_AVX512 1
#endif

#include "common/thread_pool.h"
#include "transforms/resample_sample.h"
#include "transforms/transform_ops_cpu.h"

namespace clara {
namespace {

// resample_pad_coord restricted to [0, d-1], where border and zeros are the identity but reflection
// still rounds twice: -0.5 + (x + 0.5). The interior loops apply this, so they pick the
// reference's taps and weights exactly.
inline double inner_coord(double x, bool reflect) { return reflect ? -0.5 + (x - -0.5) : x; }

// Trilinear with the coordinate clamped to [0, n-1] (border padding; a no-op inside) and the
// lower tap to n-2, so both taps of every axis exist (needs n >= 2): nested lerps
// (1-t)p + tq in double, exact at t = 0 and t = 1. The vector loop computes exactly this.
inline double clamp_axis(double r, int64_t n, int64_t* i0) {
  const double x = r < 0 ? 0 : (r > double(n - 1) ? double(n - 1) : r);
  double f = std::floor(x);
  if (f > double(n - 2)) f = double(n - 2);
  *i0 = static_cast<int64_t>(f);
  return x - f;
}
inline double lerp1(double p, double q, double t) { return (1 - t) * p + t * q; }
inline float linear_clamped(const float* src, const ResampleGeom& g, double rx, double ry, double rz, bool reflect) {
  rx = inner_coord(rx, reflect); ry = inner_coord(ry, reflect); rz = inner_coord(rz, reflect);
  int64_t x0, y0, z0;
  const double tx = clamp_axis(rx, g.ni, &x0), ty = clamp_axis(ry, g.nj, &y0), tz = clamp_axis(rz, g.nk, &z0);
  const float* p00 = src + (x0 * g.nj + y0) * g.nk + z0;
  const float* p01 = p00 + g.nk;
  const float* p10 = p00 + g.nj * g.nk;
  const float* p11 = p10 + g.nk;
  const double c00 = lerp1(p00[0], p00[1], tz), c01 = lerp1(p01[0], p01[1], tz);
  const double c10 = lerp1(p10[0], p10[1], tz), c11 = lerp1(p11[0], p11[1], tz);
  return static_cast<float>(lerp1(lerp1(c00, c01, ty), lerp1(c10, c11, ty), tx));
}

inline float nearest_clamped(const float* src, const ResampleGeom& g, double rx, double ry, double rz, bool reflect) {
  rx = inner_coord(rx, reflect); ry = inner_coord(ry, reflect); rz = inner_coord(rz, reflect);
  auto cl = [](double r, int64_t n) { return r < 0 ? 0 : (r > double(n - 1) ? double(n - 1) : r); };
  const int64_t xi = static_cast<int64_t>(std::nearbyint(cl(rx, g.ni)));
  const int64_t yi = static_cast<int64_t>(std::nearbyint(cl(ry, g.nj)));
  const int64_t zi = static_cast<int64_t>(std::nearbyint(cl(rz, g.nk)));
  return src[(xi * g.nj + yi) * g.nk + zi];
}

// The k in [0, n) with 0 <= b + m*k <= hi (< hi when strict): one interval, since the
// rounded b + m*k is monotone in k. Estimated by division, then made exact by testing
// the same expression the kernel evaluates.
void axis_span(double b, double m, double hi, bool strict, int64_t n, int64_t* k0, int64_t* k1) {
  auto inside = [&](int64_t k) {
    const double r = b + m * static_cast<double>(k);
    return r >= 0 && (strict ? r < hi : r <= hi);
  };
  if (m == 0) {
    *k0 = 0;
    *k1 = inside(0) ? n : 0;
    return;
  }
  double a = (0 - b) / m, c = (hi - b) / m;
  if (a > c) std::swap(a, c);
  const double lim = static_cast<double>(n) + 2;
  a = std::min(std::max(a, -2.0), lim);
  c = std::min(std::max(c, -2.0), lim);
  int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(a)) - 1);
  int64_t up = std::min<int64_t>(n, static_cast<int64_t>(std::ceil(c)) + 2);
  if (lo > up) lo = up;  // the whole span lies past the row's end: empty, and k0 <= n
  while (lo < up && !inside(lo)) ++lo;
  while (up > lo && !inside(up - 1)) --up;
  *k0 = lo;
  *k1 = up;
}

// ---- row path: the fastest output axis moves only the fastest input axis ----
// (m[2] = m[6] = 0: zoom/translate, i.e. Spacingd, and rotations in the (i, j) plane). Along an
// output row x and y are constant: their taps follow the reference's padding rule once per
// row, giving four source lines with weights wx*wy (0 for a skipped tap). Only z moves: in
// its interior span the taps are read from a 16-float window of each line by permutes (no
// gathers); both ends use the reference's rule per voxel. Sums are the reference's,
// term for term and in its order (skipped terms add 0*v), so the result is bit-exact.

struct AxisTap {  // the two linear taps of one coordinate after padding: index and weight (0 = skipped)
  int64_t i0, i1;
  double w0, w1;
};
inline AxisTap linear_tap(double r, int64_t n, Pad pad) {
  const double x = resample_pad_coord(r, n, pad);
  const double f = std::floor(x);
  const int64_t x0 = static_cast<int64_t>(f);
  const double tx = x - f, wa = 1 - tx, wb = tx;
  const bool va = x0 >= 0 && x0 < n && wa != 0, vb = x0 + 1 >= 0 && x0 + 1 < n && wb != 0;
  return {va ? x0 : 0, vb ? x0 + 1 : 0, va ? wa : 0, vb ? wb : 0};
}
inline int64_t nearest_tap(double r, int64_t n, Pad pad) {
  const int64_t xi = static_cast<int64_t>(std::nearbyint(resample_pad_coord(r, n, pad)));
  return (xi < 0 || xi >= n) ? -1 : xi;
}

struct RowLines {
  const float* L[4];
  double w[4];  // wx*wy in the reference's order: (x0,y0), (x0,y1), (x1,y0), (x1,y1)
};

inline float row_linear_scalar(const RowLines& r, double rz, int64_t nk, Pad pad) {
  const AxisTap t = linear_tap(rz, nk, pad);
  double acc = 0;
  for (int l = 0; l < 4; ++l) {
    acc += r.w[l] * t.w0 * r.L[l][t.i0];
    acc += r.w[l] * t.w1 * r.L[l][t.i1];
  }
  return static_cast<float>(acc);
}

#if defined(CLARA_RESAMPLE_AVX512)
// The reference's interior sum of 8 voxels k..k+7 (0 <= z < nk-1 for all), z taps taken from
// a window of 16 floats at zb of each line (needs z0 - zb + 1 <= 15).
inline void row_linear8(const RowLines& r, __m512d rz, bool reflect, int64_t zb, int64_t nk, float* dst) {
  if (reflect) rz = _mm512_add_pd(_mm512_set1_pd(-0.5), _mm512_sub_pd(rz, _mm512_set1_pd(-0.5)));
  const __m512d fz = _mm512_roundscale_pd(rz, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512d u1 = _mm512_sub_pd(rz, fz), u0 = _mm512_sub_pd(_mm512_set1_pd(1.0), u1);
  const __m256i rel = _mm256_sub_epi32(_mm512_cvttpd_epi32(fz), _mm256_set1_epi32(static_cast<int>(zb)));
  const __m512i i0 = _mm512_castsi256_si512(rel);
  const __m512i i1 = _mm512_castsi256_si512(_mm256_add_epi32(rel, _mm256_set1_epi32(1)));
  const int64_t avail = nk - zb;
  const __mmask16 lm = avail >= 16 ? __mmask16(0xffff) : __mmask16((1u << avail) - 1);
  __m512d acc = _mm512_setzero_pd();
  for (int l = 0; l < 4; ++l) {
    const __m512 win = _mm512_maskz_loadu_ps(lm, r.L[l] + zb);
    const __m512d v0 = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_permutexvar_ps(i0, win)));
    const __m512d v1 = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_permutexvar_ps(i1, win)));
    const __m512d w = _mm512_set1_pd(r.w[l]);
    acc = _mm512_add_pd(acc, _mm512_mul_pd(_mm512_mul_pd(w, u0), v0));
    acc = _mm512_add_pd(acc, _mm512_mul_pd(_mm512_mul_pd(w, u1), v1));
  }
  _mm256_storeu_ps(dst, _mm512_cvtpd_ps(acc));
}

inline void row_nearest8(const float* line, __m512d rz, bool reflect, int64_t zb, int64_t nk, float* dst) {
  if (reflect) rz = _mm512_add_pd(_mm512_set1_pd(-0.5), _mm512_sub_pd(rz, _mm512_set1_pd(-0.5)));
  const __m256i zi = _mm512_cvtpd_epi32(_mm512_roundscale_pd(rz, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  const __m512i rel = _mm512_castsi256_si512(_mm256_sub_epi32(zi, _mm256_set1_epi32(static_cast<int>(zb))));
  const int64_t avail = nk - zb;
  const __mmask16 lm = avail >= 16 ? __mmask16(0xffff) : __mmask16((1u << avail) - 1);
  const __m512 win = _mm512_maskz_loadu_ps(lm, line + zb);
  _mm256_storeu_ps(dst, _mm512_castps512_ps256(_mm512_permutexvar_ps(rel, win)));
}

// The row path's vector interior: 8 voxels a step from k while k + 8 <= k1; z = bz + mz*k in
// doubles (as the reference computes it), and zb = the lowest source index the 8 taps start
// from (tap(z) of the first or last voxel, whichever is lower). Returns the first k left over.
template <class Tap, class Emit>
inline int64_t row_steps8(int64_t k, int64_t k1, double bz, double mz, Tap tap, Emit emit) {
  const __m512d iota = _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7), vbz = _mm512_set1_pd(bz), vmz = _mm512_set1_pd(mz);
  for (; k + 8 <= k1; k += 8) {
    const int64_t za = static_cast<int64_t>(tap(bz + mz * k)), zc = static_cast<int64_t>(tap(bz + mz * (k + 7)));
    emit(k, _mm512_add_pd(vbz, _mm512_mul_pd(vmz, _mm512_add_pd(_mm512_set1_pd(double(k)), iota))), std::min(za, zc));
  }
  return k;
}
#endif

void resample_rows(const ResampleArgs& a) {
  const ResampleGeom g{a.in_shape[0], a.in_shape[1], a.in_shape[2]};
  const int64_t oi = a.out_shape[0], oj = a.out_shape[1], ok = a.out_shape[2];
  const int64_t in_sp = g.ni * g.nj * g.nk, out_sp = oi * oj * ok;
  const double* m = a.xform;
  const bool linear = a.mode == Interp::Linear;
  const double mz = m[10];
  const bool reflect = a.padding == Pad::Reflection;
#if defined(CLARA_RESAMPLE_AVX512)
  const bool vec = std::fabs(mz) <= 2.0;  // 8 steps span at most 15 floats: one window
#endif
  parallel_for(a.channels * oi * oj, 4, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / (oi * oj), ij = row % (oi * oj), i = ij / oj, j = ij % oj;
      const float* src = a.in + c * in_sp;
      float* dst = a.out + c * out_sp + ij * ok;
      // the reference's coordinates: x = bx + m[2]*k with m[2] = 0 (adds +0 or -0: no change)
      const double bx = m[0] * i + m[1] * j + m[3] + m[2] * 0;
      const double by = m[4] * i + m[5] * j + m[7] + m[6] * 0;
      const double bz = m[8] * i + m[9] * j + m[11];
      // z interior span: 0 <= z < nk-1 (linear, both taps) or 0 <= z <= nk-1 (nearest)
      int64_t k0, k1;
      axis_span(bz, mz, double(g.nk - 1), linear, ok, &k0, &k1);
      if (!linear) {
        const int64_t xi = nearest_tap(bx, g.ni, a.padding), yi = nearest_tap(by, g.nj, a.padding);
        if (xi < 0 || yi < 0) { std::fill(dst, dst + ok, 0.f); continue; }
        const float* line = src + (xi * g.nj + yi) * g.nk;
        auto one = [&](int64_t k) {
          const int64_t zi = nearest_tap(bz + mz * k, g.nk, a.padding);
          return zi < 0 ? 0.f : line[zi];
        };
        for (int64_t k = 0; k < k0; ++k) dst[k] = one(k);
        int64_t k = k0;
#if defined(CLARA_RESAMPLE_AVX512)
        if (vec)
          k = row_steps8(k, k1, bz, mz, [&](double z) { return std::nearbyint(inner_coord(z, reflect)); },
                         [&](int64_t k8, __m512d rz, int64_t zb) { row_nearest8(line, rz, reflect, zb, g.nk, dst + k8); });
#endif
        for (; k < k1; ++k) dst[k] = line[static_cast<int64_t>(std::nearbyint(inner_coord(bz + mz * k, reflect)))];
        for (k = std::max(k0, k1); k < ok; ++k) dst[k] = one(k);
        continue;
      }
      const AxisTap tx = linear_tap(bx, g.ni, a.padding), ty = linear_tap(by, g.nj, a.padding);
      RowLines r;
      r.L[0] = src + (tx.i0 * g.nj + ty.i0) * g.nk; r.w[0] = tx.w0 * ty.w0;
      r.L[1] = src + (tx.i0 * g.nj + ty.i1) * g.nk; r.w[1] = tx.w0 * ty.w1;
      r.L[2] = src + (tx.i1 * g.nj + ty.i0) * g.nk; r.w[2] = tx.w1 * ty.w0;
      r.L[3] = src + (tx.i1 * g.nj + ty.i1) * g.nk; r.w[3] = tx.w1 * ty.w1;
      if (r.w[0] == 0 && r.w[1] == 0 && r.w[2] == 0 && r.w[3] == 0) {
        // every x or y tap skipped: the reference sums nothing
        std::fill(dst, dst + ok, 0.f);
        continue;
      }
      for (int64_t k = 0; k < k0; ++k) dst[k] = row_linear_scalar(r, bz + mz * k, g.nk, a.padding);
      int64_t k = k0;
#if defined(CLARA_RESAMPLE_AVX512)
      if (vec)
        k = row_steps8(k, k1, bz, mz, [&](double z) { return std::floor(inner_coord(z, reflect)); },
                       [&](int64_t k8, __m512d rz, int64_t zb) { row_linear8(r, rz, reflect, zb, g.nk, dst + k8); });
#endif
      for (; k < k1; ++k) dst[k] = row_linear_scalar(r, bz + mz * k, g.nk, a.padding);
      for (k = std::max(k0, k1); k < ok; ++k) dst[k] = row_linear_scalar(r, bz + mz * k, g.nk, a.padding);
    }
  });
}

// ---- general path ----

#if defined(CLARA_RESAMPLE_AVX512)
// src[idx[l]] and src[idx[l] + 1] of 8 lanes, widened to double, from one 64-bit gather.
inline void pair_gather(const float* src, __m256i idx, __m512d* lo, __m512d* hi) {
  const __m512i q = _mm512_i32gather_epi64(idx, reinterpret_cast<const long long*>(src), 4);
  *lo = _mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_cvtepi64_epi32(q)));
  *hi = _mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_cvtepi64_epi32(_mm512_srli_epi64(q, 32))));
}

// linear_clamped / nearest_clamped of 8 voxels k..k+7 of a row, lane by lane the same
// arithmetic: coordinates b + m*k in double; 4 pair gathers (linear) or 1 gather (nearest).
struct RowVec {
  __m512d bx, by, bz, mx, my, mz;
  __m512d hx, hy, hz, lx, ly, lz;  // n-1 and n-2 per axis
  __m256i nj, nk, sx;
  bool reflect;  // interior coordinates of reflection padding: -0.5 + (r + 0.5)
};
inline __m512d vinner(__m512d r, bool reflect) {
  if (!reflect) return r;
  const __m512d h = _mm512_set1_pd(-0.5);
  return _mm512_add_pd(h, _mm512_sub_pd(r, h));
}
inline __m512d vclamp(__m512d r, __m512d hi) { return _mm512_min_pd(_mm512_max_pd(r, _mm512_setzero_pd()), hi); }
inline void linear8(const float* src, const RowVec& v, __m512d kv, float* dst) {
  const __m512d rx = _mm512_add_pd(v.bx, _mm512_mul_pd(v.mx, kv));
  const __m512d ry = _mm512_add_pd(v.by, _mm512_mul_pd(v.my, kv));
  const __m512d rz = _mm512_add_pd(v.bz, _mm512_mul_pd(v.mz, kv));
  const __m512d x = vclamp(vinner(rx, v.reflect), v.hx), y = vclamp(vinner(ry, v.reflect), v.hy);
  const __m512d z = vclamp(vinner(rz, v.reflect), v.hz);
  constexpr int kFloor = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
  const __m512d fx = _mm512_min_pd(_mm512_roundscale_pd(x, kFloor), v.lx);
  const __m512d fy = _mm512_min_pd(_mm512_roundscale_pd(y, kFloor), v.ly);
  const __m512d fz = _mm512_min_pd(_mm512_roundscale_pd(z, kFloor), v.lz);
  const __m512d tx = _mm512_sub_pd(x, fx), ty = _mm512_sub_pd(y, fy), tz = _mm512_sub_pd(z, fz);
  const __m256i x0 = _mm512_cvttpd_epi32(fx), y0 = _mm512_cvttpd_epi32(fy), z0 = _mm512_cvttpd_epi32(fz);
  const __m256i i00 = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_add_epi32(_mm256_mullo_epi32(x0, v.nj), y0), v.nk), z0);
  const __m256i i01 = _mm256_add_epi32(i00, v.nk);
  const __m256i i10 = _mm256_add_epi32(i00, v.sx), i11 = _mm256_add_epi32(i01, v.sx);
  __m512d a00, b00, a01, b01, a10, b10, a11, b11;
  pair_gather(src, i00, &a00, &b00); pair_gather(src, i01, &a01, &b01);
  pair_gather(src, i10, &a10, &b10); pair_gather(src, i11, &a11, &b11);
  const __m512d one = _mm512_set1_pd(1.0);
  auto lerp = [one](__m512d p, __m512d q, __m512d t) {
    return _mm512_add_pd(_mm512_mul_pd(_mm512_sub_pd(one, t), p), _mm512_mul_pd(t, q));
  };
  const __m512d c00 = lerp(a00, b00, tz), c01 = lerp(a01, b01, tz), c10 = lerp(a10, b10, tz), c11 = lerp(a11, b11, tz);
  _mm256_storeu_ps(dst, _mm512_cvtpd_ps(lerp(lerp(c00, c01, ty), lerp(c10, c11, ty), tx)));
}

inline void nearest8(const float* src, const RowVec& v, __m512d kv, float* dst) {
  const __m512d rx = vclamp(vinner(_mm512_add_pd(v.bx, _mm512_mul_pd(v.mx, kv)), v.reflect), v.hx);
  const __m512d ry = vclamp(vinner(_mm512_add_pd(v.by, _mm512_mul_pd(v.my, kv)), v.reflect), v.hy);
  const __m512d rz = vclamp(vinner(_mm512_add_pd(v.bz, _mm512_mul_pd(v.mz, kv)), v.reflect), v.hz);
  // nearbyint in the default rounding mode: round half to even
  constexpr int kNear = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m256i x0 = _mm512_cvtpd_epi32(_mm512_roundscale_pd(rx, kNear));
  const __m256i y0 = _mm512_cvtpd_epi32(_mm512_roundscale_pd(ry, kNear));
  const __m256i z0 = _mm512_cvtpd_epi32(_mm512_roundscale_pd(rz, kNear));
  const __m256i idx = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_add_epi32(_mm256_mullo_epi32(x0, v.nj), y0), v.nk), z0);
  _mm256_storeu_ps(dst, _mm256_i32gather_ps(src, idx, 4));
}
#endif

void resample_general(const ResampleArgs& a) {
  const ResampleGeom g{a.in_shape[0], a.in_shape[1], a.in_shape[2]};
  const int64_t oi = a.out_shape[0], oj = a.out_shape[1], ok = a.out_shape[2];
  const int64_t in_sp = g.ni * g.nj * g.nk, out_sp = oi * oj * ok;
  const double* m = a.xform;
  const bool linear = a.mode == Interp::Linear;
  // The clamped kernels need two taps per axis (linear); with border padding they cover the
  // whole row, otherwise only the interior span (where the clamp is a no-op).
  const bool clampable = !linear || (g.ni >= 2 && g.nj >= 2 && g.nk >= 2);
  const bool whole_row = clampable && a.padding == Pad::Border;
  const bool reflect = a.padding == Pad::Reflection;
#if defined(CLARA_RESAMPLE_AVX512)
  const bool vec = in_sp < (int64_t(1) << 31) - 1;  // 32-bit gather indices
#endif
  parallel_for(a.channels * oi * oj, 4, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / (oi * oj), ij = row % (oi * oj), i = ij / oj, j = ij % oj;
      const float* src = a.in + c * in_sp;
      float* dst = a.out + c * out_sp + ij * ok;
      const double bx = m[0] * i + m[1] * j + m[3];
      const double by = m[4] * i + m[5] * j + m[7];
      const double bz = m[8] * i + m[9] * j + m[11];
      int64_t k0 = 0, k1 = ok;
      if (!whole_row) {
        // interior span: every axis in [0, n-1) (linear: both taps exist) or [0, n-1] (nearest)
        int64_t s0, s1;
        if (!clampable) { k1 = 0; } else {
          axis_span(bx, m[2], double(g.ni - 1), linear, ok, &s0, &s1); k0 = std::max(k0, s0); k1 = std::min(k1, s1);
          axis_span(by, m[6], double(g.nj - 1), linear, ok, &s0, &s1); k0 = std::max(k0, s0); k1 = std::min(k1, s1);
          axis_span(bz, m[10], double(g.nk - 1), linear, ok, &s0, &s1); k0 = std::max(k0, s0); k1 = std::min(k1, s1);
        }
        if (k1 < k0) k1 = k0;
      }
      for (int64_t k = 0; k < k0; ++k)
        dst[k] = resample_voxel(src, g, bx + m[2] * k, by + m[6] * k, bz + m[10] * k, a.mode, a.padding);
      int64_t k = k0;
#if defined(CLARA_RESAMPLE_AVX512)
      if (vec && k1 - k0 >= 8) {
        RowVec v;
        v.bx = _mm512_set1_pd(bx); v.by = _mm512_set1_pd(by); v.bz = _mm512_set1_pd(bz);
        v.mx = _mm512_set1_pd(m[2]); v.my = _mm512_set1_pd(m[6]); v.mz = _mm512_set1_pd(m[10]);
        v.hx = _mm512_set1_pd(double(g.ni - 1)); v.hy = _mm512_set1_pd(double(g.nj - 1)); v.hz = _mm512_set1_pd(double(g.nk - 1));
        v.lx = _mm512_set1_pd(double(g.ni - 2)); v.ly = _mm512_set1_pd(double(g.nj - 2)); v.lz = _mm512_set1_pd(double(g.nk - 2));
        v.nj = _mm256_set1_epi32(static_cast<int>(g.nj)); v.nk = _mm256_set1_epi32(static_cast<int>(g.nk));
        v.sx = _mm256_set1_epi32(static_cast<int>(g.nj * g.nk));
        v.reflect = a.padding == Pad::Reflection;
        const __m512d iota = _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7);
        if (linear) {
          for (; k + 8 <= k1; k += 8) linear8(src, v, _mm512_add_pd(_mm512_set1_pd(double(k)), iota), dst + k);
        } else {
          for (; k + 8 <= k1; k += 8) nearest8(src, v, _mm512_add_pd(_mm512_set1_pd(double(k)), iota), dst + k);
        }
      }
#endif
      if (linear) {
        for (; k < k1; ++k) dst[k] = linear_clamped(src, g, bx + m[2] * k, by + m[6] * k, bz + m[10] * k, reflect);
      } else {
        for (; k < k1; ++k) dst[k] = nearest_clamped(src, g, bx + m[2] * k, by + m[6] * k, bz + m[10] * k, reflect);
      }
      for (k = k1; k < ok; ++k)
        dst[k] = resample_voxel(src, g, bx + m[2] * k, by + m[6] * k, bz + m[10] * k, a.mode, a.padding);
    }
  });
}

}  // namespace

bool resample_is_row_aligned(const double* m) { return m[2] == 0 && m[6] == 0; }

void resample_cpu_path(const ResampleArgs& a, int path) {
  if (path != 2 && resample_is_row_aligned(a.xform)) resample_rows(a);
  else resample_general(a);
}

void resample_cpu(const ResampleArgs& a) { resample_cpu_path(a, 0); }

}  // namespace clara
