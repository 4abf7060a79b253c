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

bool conv3d_filter_grad_planar(const Conv3DGeom& g) {
#if defined(__AVX512F__)
  return g.cin >= 2 && g.cin <= 8 && g.cout >= 1 && g.cout <= 8 && g.cin * g.cout <= 16 && g.kw >= 1 && g.kw <= 3 &&
         (g.sw == 1 || g.sw == 2);
#else
  (void)g;
  return false;
#endif
}

#if defined(__AVX512F__)
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
  const int full = p.ow / 16, tail = p.ow % 16;
  const __mmask16 tm = __mmask16((1u << tail) - 1u);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t nn = r / (int64_t(p.od) * p.oh);
    const int rem = int(r % (int64_t(p.od) * p.oh));
    const int id = (rem / p.oh) * p.sd + a - p.pf, ih = (rem % p.oh) * p.sh + b - p.pt;
    if (id < 0 || id >= p.d || ih < 0 || ih >= p.h) continue;
    const float* xr = p.XP + ((nn * p.d + id) * p.h + ih) * p.xrow;
    const float* yr = p.YP + r * int64_t(p.cout) * p.OWp + int64_t(c0) * p.OWp;
    for (int m = 0; m < full; ++m) {
      __m512 dv[CB];
#pragma GCC unroll 8
      for (int c = 0; c < CB; ++c) dv[c] = _mm512_loadu_ps(yr + int64_t(c) * p.OWp + 16 * m);
#pragma GCC unroll 24
      for (int j = 0; j < NX; ++j) {
        const __m512 xv = _mm512_loadu_ps(xr + xo[j] + 16 * m);
#pragma GCC unroll 8
        for (int c = 0; c < CB; ++c) acc[j * CB + c] = _mm512_fmadd_ps(xv, dv[c], acc[j * CB + c]);
      }
    }
    if (tail) {  // masked: the lanes past ow keep their sums (x there may be any finite or not value)
      __m512 dv[CB];
#pragma GCC unroll 8
      for (int c = 0; c < CB; ++c) dv[c] = _mm512_loadu_ps(yr + int64_t(c) * p.OWp + 16 * full);
#pragma GCC unroll 24
      for (int j = 0; j < NX; ++j) {
        const __m512 xv = _mm512_loadu_ps(xr + xo[j] + 16 * full);
#pragma GCC unroll 8
        for (int c = 0; c < CB; ++c) acc[j * CB + c] = _mm512_mask3_fmadd_ps(xv, dv[c], acc[j * CB + c], tm);
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

}  // namespace
#endif

std::string backprop_filter_planar(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round) {
#if defined(__AVX512F__)
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
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  parallel_for(xrows, 8, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* src = x + r * int64_t(g.w) * g.cin;
      float* dst = XP + r * p.xrow;
      for (int ph = 0; ph < g.sw; ++ph)
        for (int q0 = 0; q0 < p.Q; q0 += 16) {
          const __m512i col = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(q0), iota), _mm512_set1_epi32(g.sw)),
                                               _mm512_set1_epi32(ph - g.pl));
          const __mmask16 in = _mm512_cmpge_epi32_mask(col, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32(g.w));
          const __mmask16 st = p.Q - q0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (p.Q - q0)) - 1u);
          const __m512i idx = _mm512_mullo_epi32(col, _mm512_set1_epi32(g.cin));
          for (int ci = 0; ci < g.cin; ++ci)
            _mm512_mask_storeu_ps(dst + (int64_t(ci) * g.sw + ph) * p.Q + q0, st, gather16(src + ci, idx, in, round));
        }
    }
  });
  parallel_for(rows, 8, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* src = dy + r * int64_t(g.ow) * g.cout;
      float* dst = YP + r * int64_t(g.cout) * p.OWp;
      for (int o0 = 0; o0 < p.OWp; o0 += 16) {
        const __m512i o = _mm512_add_epi32(_mm512_set1_epi32(o0), iota);
        const __mmask16 in = _mm512_cmplt_epi32_mask(o, _mm512_set1_epi32(g.ow));
        const __m512i idx = _mm512_mullo_epi32(o, _mm512_set1_epi32(g.cout));
        for (int co = 0; co < g.cout; ++co) _mm512_storeu_ps(dst + int64_t(co) * p.OWp + o0, gather16(src + co, idx, in, round));
      }
    }
  });
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
#else
  (void)g; (void)x; (void)dy; (void)dw; (void)round;
  return "backprop_filter_planar needs AVX-512";
#endif
}

}  // namespace clara
