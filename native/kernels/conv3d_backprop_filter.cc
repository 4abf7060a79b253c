// conv3d gradient with respect to the filter: AMX tiles where usable, the
// small-channel kernels (conv3d_small.cc, conv3d_planar.cc), else per output row the taps
// that hit the input accumulate into per-chunk partial filters with register tiles over (input channel, output
// channel vector), broadcast-sharing variants for three width taps at stride 1 and 2.
#include "kernels/conv3d.h"
#include "kernels/conv3d_amx.h"
#include "kernels/conv3d_planar.h"
#include "kernels/conv3d_small.h"
#include "kernels/conv3d_tiles.h"
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/scratch.h"
#include "common/thread_pool.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {
using namespace conv3d_detail;

namespace {

// ---------------------------------------------------------- filter-gradient tile
// acc[r][v] = sum_o xs[o*swC + r] * dys[o*coutp + 16v], then added into dwt.
template <int RC, int NV>
void fgrad_tile(const float* xs, int swC, const float* dys, int coutp, int ow, float* dwt) {
#if defined(__AVX512F__)
  __m512 acc[RC][NV];
  for (int r = 0; r < RC; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int o = 0; o < ow; ++o) {
    __m512 dv[NV];
    for (int v = 0; v < NV; ++v) dv[v] = _mm512_loadu_ps(dys + int64_t(o) * coutp + 16 * v);
    for (int r = 0; r < RC; ++r) {
      __m512 bx = _mm512_set1_ps(xs[int64_t(o) * swC + r]);
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(bx, dv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < RC; ++r)
    for (int v = 0; v < NV; ++v) {
      float* p = dwt + int64_t(r) * coutp + 16 * v;
      _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), acc[r][v]));
    }
#else
  constexpr int VB = 16 * NV;
  float acc[RC][VB];
  for (int r = 0; r < RC; ++r)
    for (int j = 0; j < VB; ++j) acc[r][j] = 0.f;
  for (int o = 0; o < ow; ++o) {
    const float* dv = dys + int64_t(o) * coutp;
    for (int r = 0; r < RC; ++r) {
      float bx = xs[int64_t(o) * swC + r];
      for (int j = 0; j < VB; ++j) acc[r][j] += bx * dv[j];
    }
  }
  for (int r = 0; r < RC; ++r)
    for (int j = 0; j < VB; ++j) dwt[int64_t(r) * coutp + j] += acc[r][j];
#endif
}

using FgradTile = void (*)(const float*, int, const float*, int, int, float*);

FgradTile fgrad_for(int rc, int nv) {
  if (rc == 8) {
    switch (nv) {
      case 1: return &fgrad_tile<8, 1>;
      case 2: return &fgrad_tile<8, 2>;
      case 3: return &fgrad_tile<8, 3>;
      default: return &fgrad_tile<4, 4>;
    }
  }
  switch (nv) {
    case 1: return &fgrad_tile<4, 1>;
    case 2: return &fgrad_tile<4, 2>;
    case 3: return &fgrad_tile<4, 3>;
    default: return &fgrad_tile<4, 4>;
  }
}

#if defined(__AVX512F__)
// Filter-gradient tile for stride 1 and three width taps: input column c serves
// output pixel o = c + pl - k for each width tap k, so one broadcast of x[c, ci+r]
// feeds three taps (the plain tile broadcasts once per tap). Accumulates
// dw[k][ci+r][16v..] for k < 3 over nrows whole rows (x rows xrs apart, gradient
// rows dyrs apart), then adds into dwt (tap k at dwt + k*dwK). Gradient pixels
// outside [0, ow) are masked to zero.
// PAIR (NV 1, 8 or fewer output channels): lane 2co + r of the gradient vector
// holds dy[o, co] for both r, each broadcast is the channel pair x[c, ci + 2j],
// x[c, ci + 2j + 1] and accumulator j holds dw[k][ci + 2j + r][co] at lane
// 2co + r, stored 16 floats per pair (the forward's pair layout), so the RC
// channels take RC/2 accumulators per tap and no lane is idle.
template <int RC, int NV, bool PAIR = false>
void fgrad_share3(const float* xrow0, int cinp, int w, int pl, const float* dyrow0, int coutp, int ow, float* dwt,
                  int64_t dwK, int nrows, int64_t xrs, int64_t dyrs) {
  __m512 acc[3][RC][NV];
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k)
#pragma GCC unroll 8
    for (int r = 0; r < (PAIR ? RC / 2 : RC); ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[k][r][v] = _mm512_setzero_ps();
  const int c0 = std::max(0, -pl), c1 = std::min(w, ow + 2 - pl);
  // columns whose three gradient pixels all exist need no masks
  const int i0 = std::min(c1, std::max(c0, 2 - pl)), i1 = std::max(i0, std::min(c1, ow - pl));
  const float* xrow = xrow0;
  const float* dyrow = dyrow0;
  auto step = [&](int c, auto masked) __attribute__((always_inline)) {
    const float* xp = xrow + int64_t(c) * cinp;
    __m512 d[3][NV];
#pragma GCC unroll 3
    for (int k = 0; k < 3; ++k) {
      const int o = c + pl - k;
      if constexpr (decltype(masked)::value) {
        const bool ok = o >= 0 && o < ow;
        const float* dp = dyrow + int64_t(ok ? o : 0) * coutp;
        const __mmask16 m = ok ? __mmask16(0xffff) : __mmask16(0);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) d[k][v] = _mm512_maskz_loadu_ps(m, dp + 16 * v);
      } else {
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) d[k][v] = _mm512_loadu_ps(dyrow + int64_t(o) * coutp + 16 * v);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < (PAIR ? RC / 2 : RC); ++r) {
      __m512 bx;
      if constexpr (PAIR) {
        double dd;
        std::memcpy(&dd, xp + 2 * r, sizeof dd);
        bx = _mm512_castpd_ps(_mm512_set1_pd(dd));
      } else {
        bx = _mm512_set1_ps(xp[r]);
      }
#pragma GCC unroll 3
      for (int k = 0; k < 3; ++k)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[k][r][v] = _mm512_fmadd_ps(bx, d[k][v], acc[k][r][v]);
    }
  };
  // several gradient rows (of one plane) per call: the partial filter is read and
  // written once per call, so short rows do not make that traffic dominate
  for (int rr = 0; rr < nrows; ++rr, xrow += xrs, dyrow += dyrs) {
    for (int c = c0; c < i0; ++c) step(c, std::true_type{});
    for (int c = i0; c < i1; ++c) step(c, std::false_type{});
    for (int c = i1; c < c1; ++c) step(c, std::true_type{});
  }
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k)
#pragma GCC unroll 8
    for (int r = 0; r < (PAIR ? RC / 2 : RC); ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        float* q = dwt + k * dwK + int64_t(r) * coutp + 16 * v;
        _mm512_storeu_ps(q, _mm512_add_ps(_mm512_loadu_ps(q), acc[k][r][v]));
      }
}

// Stride-2 variant: output pixel o reads input columns 2o - pl + k; the column
// 2o + 2 - pl of tap 2 is tap 0's column of o + 1, so per o the even column feeds
// taps 0 (with dy[o]) and 2 (with dy[o-1]) and the odd column tap 1: 2*RC
// broadcasts and NV gradient loads per 3*RC*NV multiply-adds (the per-tap tile
// needs RC broadcasts per RC*NV). Columns or gradient pixels outside the tensors
// contribute zero (masked).
template <int RC, int NV>
void fgrad_share3_s2(const float* xrow0, int cinp, int w, int pl, const float* dyrow0, int coutp, int ow, float* dwt,
                     int64_t dwK, int nrows, int64_t xrs, int64_t dyrs) {
  __m512 acc[3][RC][NV];
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k)
#pragma GCC unroll 8
    for (int r = 0; r < RC; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[k][r][v] = _mm512_setzero_ps();
  // o in [0, ow]: o == ow only contributes its even column as tap 2 of o - 1
  // interior o: 1 <= o < ow, even column 2o - pl >= 0 and odd column 2o + 1 - pl < w
  const int i0 = std::min(ow, std::max(1, (pl + 1) / 2)), i1 = std::max(i0, std::min(ow, (w + pl - 1) / 2));
  for (int rr = 0; rr < nrows; ++rr) {
    const float* xrow = xrow0 + rr * xrs;
    const float* dyrow = dyrow0 + rr * dyrs;
    auto step = [&](int o, auto masked) __attribute__((always_inline)) {
      __m512 dcur[NV], dprev[NV];
      const int ce = 2 * o - pl, co = ce + 1;
      if constexpr (decltype(masked)::value) {
        const bool okc = o < ow, okp = o >= 1;
        const __mmask16 mc = okc ? __mmask16(0xffff) : __mmask16(0), mp = okp ? __mmask16(0xffff) : __mmask16(0);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
          dcur[v] = _mm512_maskz_loadu_ps(mc, dyrow + int64_t(okc ? o : 0) * coutp + 16 * v);
          dprev[v] = _mm512_maskz_loadu_ps(mp, dyrow + int64_t(okp ? o - 1 : 0) * coutp + 16 * v);
        }
        if (ce >= 0 && ce < w) {
          const float* xp = xrow + int64_t(ce) * cinp;
#pragma GCC unroll 8
          for (int r = 0; r < RC; ++r) {
            const __m512 bx = _mm512_set1_ps(xp[r]);
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) {
              acc[0][r][v] = _mm512_fmadd_ps(bx, dcur[v], acc[0][r][v]);
              acc[2][r][v] = _mm512_fmadd_ps(bx, dprev[v], acc[2][r][v]);
            }
          }
        }
        if (co >= 0 && co < w && o < ow) {
          const float* xp = xrow + int64_t(co) * cinp;
#pragma GCC unroll 8
          for (int r = 0; r < RC; ++r) {
            const __m512 bx = _mm512_set1_ps(xp[r]);
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[1][r][v] = _mm512_fmadd_ps(bx, dcur[v], acc[1][r][v]);
          }
        }
      } else {
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) {
          dcur[v] = _mm512_loadu_ps(dyrow + int64_t(o) * coutp + 16 * v);
          dprev[v] = _mm512_loadu_ps(dyrow + int64_t(o - 1) * coutp + 16 * v);
        }
        const float* xe = xrow + int64_t(ce) * cinp;
#pragma GCC unroll 8
        for (int r = 0; r < RC; ++r) {
          const __m512 bx = _mm512_set1_ps(xe[r]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) {
            acc[0][r][v] = _mm512_fmadd_ps(bx, dcur[v], acc[0][r][v]);
            acc[2][r][v] = _mm512_fmadd_ps(bx, dprev[v], acc[2][r][v]);
          }
        }
        const float* xo = xe + cinp;
#pragma GCC unroll 8
        for (int r = 0; r < RC; ++r) {
          const __m512 bx = _mm512_set1_ps(xo[r]);
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) acc[1][r][v] = _mm512_fmadd_ps(bx, dcur[v], acc[1][r][v]);
        }
      }
    };
    for (int o = 0; o < i0; ++o) step(o, std::true_type{});
    for (int o = i0; o < i1; ++o) step(o, std::false_type{});
    for (int o = i1; o <= ow; ++o) step(o, std::true_type{});
  }
#pragma GCC unroll 3
  for (int k = 0; k < 3; ++k)
#pragma GCC unroll 8
    for (int r = 0; r < RC; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) {
        float* q = dwt + k * dwK + int64_t(r) * coutp + 16 * v;
        _mm512_storeu_ps(q, _mm512_add_ps(_mm512_loadu_ps(q), acc[k][r][v]));
      }
}
#endif

}  // namespace

// =========================================================== filter gradient
// dw[a,b,k,ci,co] = sum over output pixels of x[o*s + tap - pad, ci] * dy[o, co]:
// per output row, each tap that hits the input accumulates the output pixels
// whose input column lies inside it (clipped, no padded copy) into per-chunk
// partial filters, summed at the end.
std::string conv3d_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy,
                                   float* dfilter, ConvPrecision p) {
  const int taps = g.kd * g.kh * g.kw;
  const size_t wsize = size_t(taps) * g.cin * g.cout;
  if (int64_t(g.n) * g.od * g.oh * g.ow == 0 || wsize == 0) {
    std::fill(dfilter, dfilter + wsize, 0.f);
    return "";
  }
  p = resolve_amp(p, conv3d_amx_pays_backprop_filter(g));
  const bool round = p == ConvPrecision::kBf16;
  if (const int terms = amx_terms(round); terms > 0 && conv3d_amx_takes_backprop_filter(g)) {
    std::string err;
    if (conv3d_amx_backprop_filter(g, x, dy, dfilter, terms, &err) || !err.empty()) return err;
  }
  if (conv3d_small_pointwise(g)) return pointwise_backprop_filter(g, x, dy, dfilter, round);
  if (conv3d_filter_grad_planar(g)) return backprop_filter_planar(g, x, dy, dfilter, round);
  if (conv3d_filter_grad_c1(g)) return backprop_filter_c1(g, x, dy, dfilter, round);
  const int coutp = round_up(g.cout, 16);
  auto blocks = cout_blocks(coutp);
  const int cinp = round_up(g.cin, 4);
  // x is read in place when its channels are a multiple of 4 (bf16: rounded plane by
  // plane into a per-thread ring as the rows reach it), else copied with padded
  // channels; dy is read in place when its channels are a multiple of 16 and
  // nothing is rounded, else each gradient row is converted when its turn comes
  const bool x_direct = g.cin == cinp;
  const bool x_ring = x_direct && round;
  const bool dy_direct = g.cout == coutp && !round;
  float* x_buf = x_direct ? nullptr : scratch_as<float>(ScratchSlot::kInput, size_t(g.n) * g.d * g.h * g.w * cinp);
  if (!x_direct && x_buf == nullptr) return "out of memory for the converted input";
  if (!x_direct) pad_copy(x, g.n, g.d, g.h, g.w, g.cin, x_buf, g.d, g.h, g.w, cinp, 0, 0, 0, round);
  const float* xb = x_direct ? x : x_buf;
  const int64_t rows = int64_t(g.n) * g.od * g.oh;
  const int T = int(std::min<int64_t>(int64_t(num_threads()) * 4, rows));  // partial sums per chunk (taken dynamically)
  // channel pairs (fgrad_share3<.., PAIR>): 8 or fewer output channels, stride 1,
  // three width taps; partial filters in the pair layout [tap][cinp/2][8][2]
  bool pair = false;
#if defined(__AVX512F__)
  pair = g.cout <= 8 && g.sw == 1 && g.kw == 3;
#endif
  const int cw = pair ? 8 : coutp;  // partial-filter floats per input channel
  const size_t psize = size_t(taps) * cinp * cw;
  float* partial = scratch_as<float>(ScratchSlot::kPartial, size_t(T) * psize);
  if (partial == nullptr) return "out of memory for the partial filter gradients";
  std::fill(partial, partial + size_t(T) * psize, 0.f);
  const int64_t sH = int64_t(g.w) * cinp, sD = int64_t(g.h) * sH;
  const int swC = g.sw * cinp;
  // output pixels [klo[k], khi[k]) read input columns inside [0, w) for width tap k
  std::vector<int> klo(size_t(g.kw)), khi(size_t(g.kw));
  for (int k = 0; k < g.kw; ++k) {
    int lo = 0;
    while (lo < g.ow && lo * g.sw + k - g.pl < 0) ++lo;
    int hi = g.ow;
    while (hi > lo && (hi - 1) * g.sw + k - g.pl >= g.w) --hi;
    klo[size_t(k)] = lo;
    khi[size_t(k)] = hi;
  }
  // stride 1 with three width taps: the broadcast-sharing tile
  const bool share = (g.sw == 1 || g.sw == 2) && g.kw == 3;
  // rows per group (so that a group holds about 64 gradient pixels)
  const int RB = std::max(1, std::min(8, (64 + g.ow - 1) / g.ow));
  (void)share;
  parallel_for(T, 1, [&](int64_t tb, int64_t te) {
    thread_local PlaneRing ring;
    thread_local std::vector<float> dy_row;
    if (!dy_direct && dy_row.size() < size_t(RB) * g.ow * coutp) dy_row.resize(size_t(RB) * g.ow * coutp);
    for (int64_t t = tb; t < te; ++t) {
      float* dw = partial + size_t(t) * psize;
      if (x_ring) ring.reset(g.kd + g.sd, g.h, sH);
      const int64_t rend = rows * (t + 1) / T;
      for (int64_t row = rows * t / T; row < rend;) {
        const int nn = int(row / (int64_t(g.od) * g.oh));
        const int rem = int(row % (int64_t(g.od) * g.oh));
        const int od = rem / g.oh, oh0 = rem % g.oh;
        // a group of up to RB consecutive rows of one output plane
        const int nr = int(std::min<int64_t>({int64_t(RB), rend - row, int64_t(g.oh - oh0)}));
        row += nr;
        const int64_t dyrs = int64_t(g.ow) * coutp;
        const float* dyg;
        if (dy_direct) {
          dyg = dy + ((int64_t(nn) * g.od + od) * g.oh + oh0) * g.ow * int64_t(coutp);
        } else {
          const float* src = dy + ((int64_t(nn) * g.od + od) * g.oh + oh0) * g.ow * int64_t(g.cout);
#if defined(__AVX512F__)
          if (pair) {
            // lane 2co + r: dy[o, co] (rounded in registers for bf16, as round_bf16_copy does)
            const __m512i dup = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
            const __mmask16 mc = __mmask16((1u << g.cout) - 1u);
            const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), hi = _mm512_set1_epi32(int(0xffff0000u));
            const __m512i abs = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000), quiet = _mm512_set1_epi32(0x00400000);
            for (int o = 0; o < nr * g.ow; ++o) {
              __m512i u = _mm512_maskz_loadu_epi32(mc, src + int64_t(o) * g.cout);
              if (round) {
                __m512i r = _mm512_and_si512(_mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(u, 16), one))), hi);
                const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs), inf);
                u = _mm512_mask_mov_epi32(r, nan, _mm512_and_si512(_mm512_or_si512(u, quiet), hi));
              }
              _mm512_storeu_si512(dy_row.data() + size_t(o) * coutp, _mm512_permutexvar_epi32(dup, u));
            }
          }
#endif
          for (int o = 0; o < nr * g.ow && !pair; ++o) {
            float* d = dy_row.data() + size_t(o) * coutp;
            if (round) round_bf16_copy(src + int64_t(o) * g.cout, d, g.cout);
            else std::memcpy(d, src + int64_t(o) * g.cout, sizeof(float) * size_t(g.cout));
            for (int k = g.cout; k < coutp; ++k) d[k] = 0.f;
          }
          dyg = dy_row.data();
        }
        for (int a = 0; a < g.kd; ++a) {
          const int id = od * g.sd + a - g.pf;
          if (id < 0 || id >= g.d) continue;
          const float* xplane = x_ring ? ring.get(x, int64_t(nn) * g.d + id, (oh0 + nr - 1) * g.sh + g.kh - g.pt)
                                       : xb + (int64_t(nn) * g.d + id) * sD;
          for (int b = 0; b < g.kh; ++b) {
            // rows r of the group whose input row ih = (oh0 + r)*sh + b - pt lies inside
            int rlo = 0, rhi = nr;
            while (rlo < nr && (oh0 + rlo) * g.sh + b - g.pt < 0) ++rlo;
            while (rhi > rlo && (oh0 + rhi - 1) * g.sh + b - g.pt >= g.h) --rhi;
            if (rlo >= rhi) continue;
#if defined(__AVX512F__)
            if (share) {
              const int ih = (oh0 + rlo) * g.sh + b - g.pt, cnt = rhi - rlo;
              const float* xs = xplane + ih * sH;
              const float* dyrow = dyg + rlo * dyrs;
              const int64_t xrs = int64_t(g.sh) * sH;
              float* dwab = dw + size_t((a * g.kh + b) * g.kw) * cinp * cw;
              if (pair) {
                for (int ci = 0; ci < cinp;) {
                  const int64_t dwK = int64_t(cinp) * 8;
                  if (cinp - ci >= 16) {
                    fgrad_share3<16, 1, true>(xs + ci, cinp, g.w, g.pl, dyrow, coutp, g.ow, dwab + ci * 8, dwK, cnt, xrs, dyrs);
                    ci += 16;
                  } else if (cinp - ci >= 8) {
                    fgrad_share3<8, 1, true>(xs + ci, cinp, g.w, g.pl, dyrow, coutp, g.ow, dwab + ci * 8, dwK, cnt, xrs, dyrs);
                    ci += 8;
                  } else {
                    fgrad_share3<4, 1, true>(xs + ci, cinp, g.w, g.pl, dyrow, coutp, g.ow, dwab + ci * 8, dwK, cnt, xrs, dyrs);
                    ci += 4;
                  }
                }
                continue;
              }
              for (int v = 0; v < coutp / 16; v += 2) {
                const bool two = coutp / 16 - v >= 2;
                for (int ci = 0; ci < cinp;) {
                  float* dwt = dwab + size_t(ci) * coutp + 16 * v;
                  const auto f42 = g.sw == 2 ? &fgrad_share3_s2<4, 2> : &fgrad_share3<4, 2>;
                  const auto f81 = g.sw == 2 ? &fgrad_share3_s2<8, 1> : &fgrad_share3<8, 1>;
                  const auto f41 = g.sw == 2 ? &fgrad_share3_s2<4, 1> : &fgrad_share3<4, 1>;
                  if (two) {
                    f42(xs + ci, cinp, g.w, g.pl, dyrow + 16 * v, coutp, g.ow, dwt, int64_t(cinp) * coutp, cnt, xrs, dyrs);
                    ci += 4;
                  } else if (cinp - ci >= 8) {
                    f81(xs + ci, cinp, g.w, g.pl, dyrow + 16 * v, coutp, g.ow, dwt, int64_t(cinp) * coutp, cnt, xrs, dyrs);
                    ci += 8;
                  } else {
                    f41(xs + ci, cinp, g.w, g.pl, dyrow + 16 * v, coutp, g.ow, dwt, int64_t(cinp) * coutp, cnt, xrs, dyrs);
                    ci += 4;
                  }
                }
              }
              continue;
            }
#endif
            for (int r = rlo; r < rhi; ++r) {
              const int ih = (oh0 + r) * g.sh + b - g.pt;
              const float* dyrow = dyg + r * dyrs;
              for (int k = 0; k < g.kw; ++k) {
                const int lo = klo[size_t(k)], cnt = khi[size_t(k)] - lo;
                if (cnt <= 0) continue;
                const int tap = (a * g.kh + b) * g.kw + k;
                const float* xs = xplane + ih * sH + int64_t(lo * g.sw + k - g.pl) * cinp;
                const float* dys = dyrow + int64_t(lo) * coutp;
                for (auto [v0, nv] : blocks) {
                  const int rc = (nv <= 3 && cinp % 8 == 0) ? 8 : 4;
                  auto tile = fgrad_for(rc, nv);
                  for (int ci = 0; ci < cinp; ci += rc)
                    tile(xs + ci, swC, dys + 16 * v0, coutp, cnt, dw + (size_t(tap) * cinp + ci) * coutp + 16 * v0);
                }
              }
            }
          }
        }
      }
    }
  });
  parallel_for(int64_t(taps) * g.cin, 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int tap = int(i / g.cin), ci = int(i % g.cin);
      float* out = dfilter + (int64_t(tap) * g.cin + ci) * g.cout;
      for (int co = 0; co < g.cout; ++co) out[co] = 0.f;
      for (int t = 0; t < T; ++t) {
        if (pair) {
          const float* src = partial + size_t(t) * psize + (size_t(tap) * cinp + (ci & ~1)) * 8 + (ci & 1);
          for (int co = 0; co < g.cout; ++co) out[co] += src[2 * co];
        } else {
          const float* src = partial + size_t(t) * psize + (size_t(tap) * cinp + ci) * coutp;
          for (int co = 0; co < g.cout; ++co) out[co] += src[co];
        }
      }
    }
  });
  return "";
}

}  // namespace clara
