// Few-channel filter gradient on planar rows (conv3d_planar.h).
//  XP[n][d][h][ci][ph][Q]: x row (n, d, h), channel ci, width phase ph (stride 2: even / odd
//    columns), column q holding input column q*sw + ph - pl (zero outside the row): output
//    pixel o's width tap k then reads XP[..][ci][k % sw][o + k / sw], 16 consecutive outputs
//    16 consecutive floats.
//  YP[n][od][oh][co][OWp]: dy row, one plane per output channel, zero past ow.
// The output rows are split in chunks (4 per thread); a chunk goes through its rows 8 at a
// time, per (depth tap, height tap) and block of CB output channels with NX = kw * cin x
// vectors and CB dy vectors per 16 pixels feeding NX * CB accumulators (<= 24 registers),
// summed into double per chunk, the chunks summed at the end.
#include "kernels/conv3d_planar.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "common/scratch.h"
#include "common/thread_pool.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {

#if defined(__AVX512F__)
bool conv3d_filter_grad_planar(const Conv3DGeom& g) {
  // one input channel: where backprop_filter_c1's pixel pairs do not apply (width stride 2;
  // 1 -> 8 on 2x16^3 outputs 0.16 -> 0.11 ms; 1 -> 16 measured no faster: left to c1)
  const bool c1_pairs = g.cin == 1 && g.sw == 1 && g.kd == 3 && g.kh == 3 && g.kw == 3;
  return g.cin >= 1 && g.cin <= 8 && g.cout >= 1 && g.cout <= 8 && g.cin * g.cout <= 16 && !c1_pairs && g.kw >= 1 && g.kw <= 3 &&
         (g.sw == 1 || g.sw == 2);
}

namespace {

constexpr int kAcc = 24;  // accumulator registers of one block (of 32: the rest hold the loads)

struct Planar {
  const float* XP;
  const float* YP;
  int64_t xrow;  // floats of one XP row (cin * sw * Q)
  int Q, OWp, ow, cin, cout, sw;
  int d, h, od, oh, sd, sh, pf, pt;
  int kw;
};

// One block: rows [r0, r1) (< 8 of them), depth tap a, height tap b, output channels
// [c0, c0 + CB); xo[j]: the offset of x vector j (width tap k = j / cin, channel ci = j % cin)
// in an XP row; adds the sums into part[((a*kh + b)*kw + k)*cin + ci][co] (double).
template <int NX, int CB>
void planar_block(const Planar& p, int64_t r0, int64_t r1, int a, int b, int c0, const int* xo, double* part_ab) {
  __m512 acc[NX * CB];
#pragma GCC unroll 24
  for (int j = 0; j < NX * CB; ++j) acc[j] = _mm512_setzero_ps();
  // the last block masked: the lanes past ow keep their sums (x there may hold any value, Inf too)
  const int blocks = (p.ow + 15) / 16;
  const __mmask16 last = p.ow % 16 ? __mmask16((1u << (p.ow % 16)) - 1u) : __mmask16(0xffff);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t nn = r / (int64_t(p.od) * p.oh);
    const int rem = int(r % (int64_t(p.od) * p.oh));
    const int id = (rem / p.oh) * p.sd + a - p.pf, ih = (rem % p.oh) * p.sh + b - p.pt;
    if (id < 0 || id >= p.d || ih < 0 || ih >= p.h) continue;
    const float* xr = p.XP + ((nn * p.d + id) * p.h + ih) * p.xrow;
    const float* yr = p.YP + r * int64_t(p.cout) * p.OWp + int64_t(c0) * p.OWp;
    for (int m = 0; m < blocks; ++m) {
      const __mmask16 mk = m + 1 < blocks ? __mmask16(0xffff) : last;
      __m512 dv[CB];
#pragma GCC unroll 8
      for (int c = 0; c < CB; ++c) dv[c] = _mm512_loadu_ps(yr + int64_t(c) * p.OWp + 16 * m);
#pragma GCC unroll 24
      for (int j = 0; j < NX; ++j) {
        const __m512 xv = _mm512_loadu_ps(xr + xo[j] + 16 * m);
#pragma GCC unroll 8
        for (int c = 0; c < CB; ++c) acc[j * CB + c] = _mm512_mask3_fmadd_ps(xv, dv[c], acc[j * CB + c], mk);
      }
    }
  }
#pragma GCC unroll 24
  for (int j = 0; j < NX; ++j) {
    const int k = j / p.cin, ci = j % p.cin;
    double* dst = part_ab + (int64_t(k) * p.cin + ci) * p.cout + c0;
#pragma GCC unroll 8
    for (int c = 0; c < CB; ++c) dst[c] += double(_mm512_reduce_add_ps(acc[j * CB + c]));
  }
}

using PlanarBlock = void (*)(const Planar&, int64_t, int64_t, int, int, int, const int*, double*);

// table[NX - 1][CB - 1] for NX * CB <= kAcc (nullptr elsewhere)
template <int NX, int... CB>
constexpr std::array<PlanarBlock, 8> row_of(std::integer_sequence<int, CB...>) {
  return {(NX * (CB + 1) <= kAcc ? &planar_block<NX, (NX * (CB + 1) <= kAcc ? CB + 1 : 1)> : nullptr)...};
}
template <int... NX>
constexpr std::array<std::array<PlanarBlock, 8>, sizeof...(NX)> table_of(std::integer_sequence<int, NX...>) {
  return {row_of<NX + 1>(std::make_integer_sequence<int, 8>())...};
}
constexpr auto kBlocks = table_of(std::make_integer_sequence<int, kAcc>());

// 16 floats of `src` at index idx (lanes in `m`, zero elsewhere), bf16-rounded when `round`.
inline __m512 gather16(const float* src, __m512i idx, __mmask16 m, bool round) {
  __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, src, 4);
  if (round) {
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    round_bf16_copy(t, t, 16);
    v = _mm512_load_ps(t);
  }
  return v;
}

// Rows of `rows` pixel rows (W pixels x C channels, NDHWC) into planar rows dst[row][c][ph][Q]:
// column q of phase ph holds source column q*sw + ph - pl (zero outside [0, W)), bf16-rounded
// when `round`.
void planar_rows(const float* src, int64_t rows, int W, int C, int pl, int sw, int Q, bool round, float* dst) {
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  parallel_for(rows, 8, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* s = src + r * int64_t(W) * C;
      float* d = dst + r * int64_t(C) * sw * Q;
      if (C == 2 && sw == 1 && !round) {  // two channels: two loads split by two permutes
        const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
        for (int q0 = 0; q0 < Q; q0 += 16) {
          const int c0 = q0 - pl;  // source columns c0 .. c0 + 15
          if (c0 < 0 || c0 + 16 > W) {
            const __m512i col = _mm512_add_epi32(_mm512_set1_epi32(c0), iota);
            const __mmask16 in = _mm512_cmpge_epi32_mask(col, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32(W));
            const __mmask16 st = Q - q0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (Q - q0)) - 1u);
            const __m512i idx = _mm512_mullo_epi32(col, _mm512_set1_epi32(2));
            _mm512_mask_storeu_ps(d + q0, st, gather16(s, idx, in, false));
            _mm512_mask_storeu_ps(d + Q + q0, st, gather16(s + 1, idx, in, false));
            continue;
          }
          const __m512 lo = _mm512_loadu_ps(s + 2 * int64_t(c0)), hi = _mm512_loadu_ps(s + 2 * int64_t(c0) + 16);
          const __mmask16 st = Q - q0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (Q - q0)) - 1u);
          _mm512_mask_storeu_ps(d + q0, st, _mm512_permutex2var_ps(lo, ev, hi));
          _mm512_mask_storeu_ps(d + Q + q0, st, _mm512_permutex2var_ps(lo, od, hi));
        }
        continue;
      }
      for (int ph = 0; ph < sw; ++ph)
        for (int q0 = 0; q0 < Q; q0 += 16) {
          const __m512i col = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(q0), iota), _mm512_set1_epi32(sw)),
                                               _mm512_set1_epi32(ph - pl));
          const __mmask16 in = _mm512_cmpge_epi32_mask(col, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32(W));
          const __mmask16 st = Q - q0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (Q - q0)) - 1u);
          const __m512i idx = _mm512_mullo_epi32(col, _mm512_set1_epi32(C));
          for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(d + (int64_t(c) * sw + ph) * Q + q0, st, gather16(s + c, idx, in, round));
        }
    }
  });
}

// One output row, pixels [o0, o0 + 16 * PB) (masked past ow): y[o, co] = sum over taps (a, b, k)
// and ci of XP[row(a, b)][ci][k % sw][o + k / sw] * w[a, b, k, ci, co]. xr[a * kh + b]: the x
// row of that tap pair (nullptr: outside the input). Stored NDHWC with masked scatters.
template <int PB, int CO>
void planar_fwd_block(const float* const* xr, int kd, int kh, int kw, int cin, int sw, int Q, const float* w, int o0, int ow,
                      float* yrow) {
  __m512 acc[PB][CO];
#pragma GCC unroll 4
  for (int q = 0; q < PB; ++q)
#pragma GCC unroll 4
    for (int c = 0; c < CO; ++c) acc[q][c] = _mm512_setzero_ps();
  for (int ab = 0; ab < kd * kh; ++ab) {
    const float* x = xr[ab];
    if (x == nullptr) continue;
    for (int k = 0; k < kw; ++k)
      for (int ci = 0; ci < cin; ++ci) {
        const float* xc = x + (int64_t(ci) * sw + k % sw) * Q + k / sw + o0;
        const float* wc = w + ((int64_t(ab) * kw + k) * cin + ci) * CO;
        __m512 xv[PB];
#pragma GCC unroll 4
        for (int q = 0; q < PB; ++q) xv[q] = _mm512_loadu_ps(xc + 16 * q);
#pragma GCC unroll 4
        for (int c = 0; c < CO; ++c) {
          const __m512 wv = _mm512_set1_ps(wc[c]);
#pragma GCC unroll 4
          for (int q = 0; q < PB; ++q) acc[q][c] = _mm512_fmadd_ps(xv[q], wv, acc[q][c]);
        }
      }
  }
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i idx = _mm512_mullo_epi32(iota, _mm512_set1_epi32(CO));
#pragma GCC unroll 4
  for (int q = 0; q < PB; ++q) {
    const int o = o0 + 16 * q, left = ow - o;
    if (left <= 0) break;
    if constexpr (CO == 2) {  // two channels: interleaved by two permutes, two (masked) stores
      const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
      const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
      const __m512 a = _mm512_permutex2var_ps(acc[q][0], lo, acc[q][1]), b = _mm512_permutex2var_ps(acc[q][0], hi, acc[q][1]);
      const int n = 2 * std::min(left, 16);
      _mm512_mask_storeu_ps(yrow + int64_t(o) * 2, n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u), a);
      if (n > 16) _mm512_mask_storeu_ps(yrow + int64_t(o) * 2 + 16, n >= 32 ? __mmask16(0xffff) : __mmask16((1u << (n - 16)) - 1u), b);
      continue;
    }
    const __mmask16 m = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1u);
#pragma GCC unroll 4
    for (int c = 0; c < CO; ++c) _mm512_mask_i32scatter_ps(yrow + int64_t(o) * CO + c, m, idx, acc[q][c], 4);
  }
}

// The planar forward of g with w [kd][kh][kw][cin][cout] (cout <= 4, already rounded when `round`).
std::string forward_planar_run(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round) {
  const int OWp = (g.ow + 63) / 64 * 64;  // whole 4-block groups: the x rows are read that far
  const int Q = OWp + (g.kw - 1) / g.sw;
  const int64_t xrows = int64_t(g.n) * g.d * g.h, xrow = int64_t(g.cin) * g.sw * Q;
  float* XP = scratch_as<float>(ScratchSlot::kInput, size_t(xrows * xrow));
  if (XP == nullptr) return "out of memory for the planar input";
  planar_rows(x, xrows, g.w, g.cin, g.pl, g.sw, Q, round, XP);
  using Blk = void (*)(const float* const*, int, int, int, int, int, int, const float*, int, int, float*);
  static const Blk blk[4] = {&planar_fwd_block<4, 1>, &planar_fwd_block<4, 2>, &planar_fwd_block<4, 3>, &planar_fwd_block<4, 4>};
  const Blk run = blk[g.cout - 1];
  const int64_t rows = int64_t(g.n) * g.od * g.oh;
  parallel_for(rows, 1, [&](int64_t b, int64_t e) {
    std::vector<const float*> xr(size_t(g.kd) * g.kh);
    for (int64_t r = b; r < e; ++r) {
      const int64_t nn = r / (int64_t(g.od) * g.oh);
      const int rem = int(r % (int64_t(g.od) * g.oh)), od = rem / g.oh, oh = rem % g.oh;
      for (int a = 0; a < g.kd; ++a)
        for (int bb = 0; bb < g.kh; ++bb) {
          const int id = od * g.sd + a - g.pf, ih = oh * g.sh + bb - g.pt;
          xr[size_t(a) * g.kh + bb] = id < 0 || id >= g.d || ih < 0 || ih >= g.h ? nullptr : XP + ((nn * g.d + id) * g.h + ih) * xrow;
        }
      float* yrow = y + r * int64_t(g.ow) * g.cout;
      for (int o0 = 0; o0 < g.ow; o0 += 64) run(xr.data(), g.kd, g.kh, g.kw, g.cin, g.sw, Q, w, o0, g.ow, yrow);
    }
  });
  return "";
}

}  // namespace

std::string backprop_filter_planar(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round) {
  Planar p{};
  p.sw = g.sw;
  p.ow = g.ow;
  p.OWp = (g.ow + 15) / 16 * 16;
  p.Q = p.OWp + (g.kw - 1) / g.sw;
  p.cin = g.cin;
  p.cout = g.cout;
  p.xrow = int64_t(g.cin) * g.sw * p.Q;
  p.d = g.d; p.h = g.h; p.od = g.od; p.oh = g.oh;
  p.sd = g.sd; p.sh = g.sh; p.pf = g.pf; p.pt = g.pt;
  p.kw = g.kw;
  const int64_t xrows = int64_t(g.n) * g.d * g.h, rows = int64_t(g.n) * g.od * g.oh;
  float* XP = scratch_as<float>(ScratchSlot::kInput, size_t(xrows * p.xrow));
  float* YP = scratch_as<float>(ScratchSlot::kGrad, size_t(rows) * g.cout * p.OWp);
  if (XP == nullptr || YP == nullptr) return "out of memory for the planar input and gradient";
  p.XP = XP;
  p.YP = YP;
  planar_rows(x, xrows, g.w, g.cin, g.pl, g.sw, p.Q, round, XP);
  planar_rows(dy, rows, g.ow, g.cout, 0, 1, p.OWp, round, YP);
  const int NX = g.kw * g.cin, CB = std::min(g.cout, kAcc / NX);
  std::vector<int> xo(static_cast<size_t>(NX));
  for (int j = 0; j < NX; ++j) {
    const int k = j / g.cin, ci = j % g.cin;
    xo[size_t(j)] = (ci * g.sw + k % g.sw) * p.Q + k / g.sw;
  }
  const int taps = g.kd * g.kh * g.kw;
  const size_t per_ab = size_t(g.kw) * g.cin * g.cout;
  const int T = int(std::min<int64_t>(int64_t(num_threads()) * 4, rows));
  std::vector<double> partial(size_t(T) * taps * g.cin * g.cout, 0.0);
  parallel_for(T, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      double* part = partial.data() + size_t(t) * taps * g.cin * g.cout;
      const int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
      for (int64_t rg = r0; rg < r1; rg += 8)
        for (int a = 0; a < g.kd; ++a)
          for (int bb = 0; bb < g.kh; ++bb)
            for (int c0 = 0; c0 < g.cout; c0 += CB) {
              const int cb = std::min(CB, g.cout - c0);
              kBlocks[size_t(NX - 1)][size_t(cb - 1)](p, rg, std::min(r1, rg + 8), a, bb, c0, xo.data(), part + (size_t(a) * g.kh + bb) * per_ab);
            }
    }
  });
  const size_t n = size_t(taps) * g.cin * g.cout;
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (int t = 0; t < T; ++t) s += partial[size_t(t) * n + i];
    dw[i] = float(s);
  }
  return "";
}

bool conv3d_forward_planar(const Conv3DGeom& g) {
  return g.cin >= 2 && g.cin <= 16 && g.cout >= 1 && g.cout <= 4 && g.kw >= 1 && g.kw <= 3 && (g.sw == 1 || g.sw == 2);
}

std::string forward_planar(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round) {
  std::vector<float> wr;
  if (round) {
    wr.resize(size_t(g.kd) * g.kh * g.kw * g.cin * g.cout);
    round_bf16_copy(w, wr.data(), int64_t(wr.size()));
    w = wr.data();
  }
  return forward_planar_run(g, x, w, y, round);
}

bool conv3d_backprop_input_planar(const Conv3DGeom& g) {
  return g.sd == 1 && g.sh == 1 && g.sw == 1 && g.cout >= 2 && g.cout <= 16 && g.cin >= 1 && g.cin <= 4 && g.kw <= 3;
}

std::string backprop_input_planar(const Conv3DGeom& g, const float* dy, const float* w, float* dx, bool round) {
  // dx = stride-1 convolution of dy (padding kernel - 1 - pad) with the flipped filter, its
  // input and output channels swapped
  Conv3DGeom t{};
  t.n = g.n; t.d = g.od; t.h = g.oh; t.w = g.ow; t.cin = g.cout;
  t.kd = g.kd; t.kh = g.kh; t.kw = g.kw; t.cout = g.cin;
  t.sd = t.sh = t.sw = 1;
  t.od = g.d; t.oh = g.h; t.ow = g.w;
  t.pf = g.kd - 1 - g.pf; t.pt = g.kh - 1 - g.pt; t.pl = g.kw - 1 - g.pl;
  std::vector<float> wt(size_t(g.kd) * g.kh * g.kw * g.cin * g.cout);
  for (int a = 0; a < g.kd; ++a)
    for (int b = 0; b < g.kh; ++b)
      for (int k = 0; k < g.kw; ++k)
        for (int ci = 0; ci < g.cin; ++ci)
          for (int co = 0; co < g.cout; ++co) {
            const float v = w[((((int64_t(g.kd - 1 - a) * g.kh + g.kh - 1 - b) * g.kw + g.kw - 1 - k) * g.cin + ci) * g.cout + co)];
            wt[size_t((((int64_t(a) * g.kh + b) * g.kw + k) * g.cout + co) * g.cin + ci)] = round ? round_bf16(v) : v;
          }
  return forward_planar_run(t, dy, wt.data(), dx, round);
}

#else  // no AVX-512: the callers never take these paths

bool conv3d_filter_grad_planar(const Conv3DGeom&) { return false; }
bool conv3d_forward_planar(const Conv3DGeom&) { return false; }
bool conv3d_backprop_input_planar(const Conv3DGeom&) { return false; }
std::string backprop_filter_planar(const Conv3DGeom&, const float*, const float*, float*, bool) { return "the planar kernels need AVX-512"; }
std::string forward_planar(const Conv3DGeom&, const float*, const float*, float*, bool) { return "the planar kernels need AVX-512"; }
std::string backprop_input_planar(const Conv3DGeom&, const float*, const float*, float*, bool) { return "the planar kernels need AVX-512"; }

#endif

}  // namespace clara
