// Direct 3D convolution, NDHWC, blocked on output channels (16-wide fp32 vectors)
// with register tiles over the output row. No padded copy of the input is made:
// taps outside it are clipped per output row, and the register tiles that touch
// a row's border read a small zero-padded strip. bf16 mode rounds
// inputs and weights to bfloat16 (round-to-nearest-even) and accumulates in fp32:
// with AVX512-BF16 the forward and input-gradient kernels use vdpbf16ps on
// channel pairs; elsewhere (and for the filter gradient) the fp32 kernel runs
// on the rounded values, which is the exact emulation.
#include "kernels/conv3d.h"
#include "kernels/conv3d_small.h"
#include "kernels/amx.h"
#include "kernels/conv3d_amx.h"

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

// ---------------------------------------------------------------- bf16 helpers
uint16_t to_bf16_bits(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float round_bf16(float v) {
  uint32_t u = static_cast<uint32_t>(to_bf16_bits(v)) << 16;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

void round_bf16_copy(const float* src, float* dst, int64_t n) {
  int64_t k = 0;
#if defined(__AVX512F__)
  const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), hi = _mm512_set1_epi32(int(0xffff0000u));
  const __m512i abs = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000), quiet = _mm512_set1_epi32(0x00400000);
  for (; k < n; k += 16) {
    const __mmask16 m = n - k >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - k)) - 1u);
    const __m512i u = _mm512_maskz_loadu_epi32(m, src + k);
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(u, 16), one)));
    r = _mm512_and_si512(r, hi);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs), inf);
    r = _mm512_mask_mov_epi32(r, nan, _mm512_and_si512(_mm512_or_si512(u, quiet), hi));
    _mm512_mask_storeu_epi32(dst + k, m, r);
  }
#endif
  for (; k < n; ++k) dst[k] = round_bf16(src[k]);
}

namespace {
// -1: automatic (measured once), 0: emulation, 1: dot products.
std::atomic<int> g_use_bf16_dot{-1};

// The dot products pay only where vdpbf16ps (2 multiply-adds per lane) beats
// fp32 FMA: on the Xeons these were measured on it reached 25-45 % of the fp32
// FMA flop rate (no AMX), so the exact emulation (bf16-rounded inputs, fp32
// FMA) is the faster bf16 path there. Measured once, one thread, best of 3.
bool bf16_dot_faster() {
  static const bool faster = [] {
    double dot = 0, fma = 0;
    for (int i = 0; i < 3; ++i) {
      dot = std::max(dot, fma_peak_gflops(1, 0.01, true));
      fma = std::max(fma, fma_peak_gflops(1, 0.01, false));
    }
    return dot > fma;
  }();
  return faster;
}
}  // namespace

void conv3d_use_bf16_dot(bool on) { g_use_bf16_dot.store(on ? 1 : 0); }
void conv3d_bf16_dot_auto() { g_use_bf16_dot.store(-1); }
bool conv3d_bf16_dot_in_use() {
  if (!conv3d_has_bf16_dot()) return false;
  const int m = g_use_bf16_dot.load();
  return m < 0 ? bf16_dot_faster() : m == 1;
}

bool conv3d_has_bf16_dot() {
#if defined(__AVX512BF16__)
  return true;
#else
  return false;
#endif
}

namespace {

inline int round_up(int v, int m) { return (v + m - 1) / m * m; }

// Products on AMX tiles: 1 for bf16 convolutions, 3 (hi*hi + hi*lo + lo*hi) for fp32
// ones in the opt-in fp32 mode; 0 where AMX is not used.
int amx_terms(bool bf16) {
  if (!amx_usable()) return 0;
  return bf16 ? 1 : amx_fp32_three_products() ? 3 : 0;
}

// Geometry of the core convolution. The core reads an unpadded input buffer and
// clips the taps that fall outside it: whole depth/height taps per output row,
// and along the row the (at most two) register tiles that touch a border read a
// small zero-padded strip copied per tile, so no padded copy of the input is made.
struct Core {
  int n, id, ih, iw, cinp;  // input buffer [n, id, ih, iw, cinp]
  int kd, kh, kw;
  int sd, sh, sw;
  int pf, pt, pl;           // padding before (input index = o*s + k - pad)
  int od, oh, ow;
  int cout, coutp;          // real and padded output channels (coutp % 16 == 0)
  // tw > 0: transposed along the width (a strided input gradient): input column p
  // feeds output column tw*p + k - pl for width tap k (fp32 with AVX-512, kw 3, tw 2)
  int tw;
  // pair > 0 (fp32 with AVX-512, cout % 16 in 1..8, cinp even, share-tile
  // geometry): the last cout - coutp channels (coutp = 16 * (cout / 16)) are one
  // channel-pair block: the 16 lanes of a vector hold (output channel co, input
  // channel parity r) at lane 2co + r, weights packed [tap][cinp/2][8][2] apart
  // (core_forward's wpair), so 8 output channels use the whole vector; the two
  // parities are summed when the tile is stored.
  int pair;
  // output element (n, od, oh, ow, co) is y[n*yN + od*yD + oh*yH + ow*yW + co]
  int64_t yN, yD, yH, yW;
};

// Dense output layout [n, od, oh, ow, cout].
void dense_output(Core& c) {
  c.yW = c.cout;
  c.yH = int64_t(c.ow) * c.yW;
  c.yD = int64_t(c.oh) * c.yH;
  c.yN = int64_t(c.od) * c.yD;
}

// Copies x [n,d,h,w,c] into xp [n,dp,hp,wp,cp] at offset (pf,pt,pl), zero elsewhere.
// T is float or uint16_t (bf16 bits); `round` rounds fp32 values to bf16.
template <typename T>
void pad_copy(const float* x, int n, int d, int h, int w, int c, T* xp, int dp, int hp, int wp,
              int cp, int pf, int pt, int pl, bool round) {
  parallel_for(int64_t(n) * dp, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int nn = int(i / dp), dd = int(i % dp);
      T* dst = xp + i * int64_t(hp) * wp * cp;
      int sdd = dd - pf;
      if (sdd < 0 || sdd >= d) {
        std::memset(dst, 0, sizeof(T) * size_t(hp) * wp * cp);
        continue;
      }
      for (int hh = 0; hh < hp; ++hh) {
        int sh = hh - pt;
        T* drow = dst + int64_t(hh) * wp * cp;
        if (sh < 0 || sh >= h) {
          std::memset(drow, 0, sizeof(T) * size_t(wp) * cp);
          continue;
        }
        for (int ww = 0; ww < wp; ++ww) {
          int sw = ww - pl;
          T* dpix = drow + int64_t(ww) * cp;
          if (sw < 0 || sw >= w) {
            std::memset(dpix, 0, sizeof(T) * cp);
            continue;
          }
          const float* s = x + (((int64_t(nn) * d + sdd) * h + sh) * w + sw) * c;
          if constexpr (sizeof(T) == 2) {
            for (int k = 0; k < c; ++k) dpix[k] = to_bf16_bits(s[k]);
          } else if (round) {
            round_bf16_copy(s, reinterpret_cast<float*>(dpix), c);
          } else {
            std::memcpy(dpix, s, sizeof(float) * c);
          }
          for (int k = c; k < cp; ++k) dpix[k] = T(0);
        }
      }
    }
  });
}

// dst[i] = round_bf16(src[i]) for n values, in parallel chunks.
void round_copy_parallel(const float* src, float* dst, int64_t n) {
  parallel_for((n + 4095) / 4096, 4, [&](int64_t b, int64_t e) {
    const int64_t lo = b * 4096, hi = std::min(n, e * 4096);
    round_bf16_copy(src + lo, dst + lo, hi - lo);
  });
}

// Arguments of one register tile: RW output pixels of one row, NV vectors of
// output channels. xa[a] points at the input of valid depth tap a (first valid
// height tap, first width tap, pixel 0); taps (k, ci) of one (a, b) are one
// contiguous run of `run` elements in both the input and the packed weights.
template <typename T>
struct TileArgs {
  const T* const* xa;
  int na, nb;
  int64_t sH;       // input stride between height taps
  int swC;          // input stride between output pixels
  int run;          // kw * cinp
  const T* wb;      // weights at the first valid (a, b) tap and this channel block
  int64_t wsA, wsB; // weight strides between depth and height taps
  int coutp;
  float* yb;
  int64_t yW;
  int nvalid;       // valid output channels from this block's first
};

// ------------------------------------------------------------- fp32 forward tile
template <int RW, int NV>
void fwd_tile_f32(const TileArgs<float>& t) {
#if defined(__AVX512F__)
  __m512 acc[RW][NV];
  for (int r = 0; r < RW; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int coutp = t.coutp, swC = t.swC, run = t.run;
  for (int a = 0; a < t.na; ++a)
    for (int b = 0; b < t.nb; ++b) {
      const float* xs = t.xa[a] + b * t.sH;
      const float* ws = t.wb + a * t.wsA + b * t.wsB;
      for (int ci = 0; ci < run; ++ci) {
        __m512 wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_ps(ws + int64_t(ci) * coutp + 16 * v);
        for (int r = 0; r < RW; ++r) {
          __m512 bx = _mm512_set1_ps(xs[r * swC + ci]);
          for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(bx, wv[v], acc[r][v]);
        }
      }
    }
  for (int r = 0; r < RW; ++r) {
    float* yo = t.yb + int64_t(r) * t.yW;
    for (int v = 0; v < NV; ++v) {
      int rem = t.nvalid - 16 * v;
      if (rem >= 16) _mm512_storeu_ps(yo + 16 * v, acc[r][v]);
      else if (rem > 0) _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << rem) - 1u), acc[r][v]);
    }
  }
#else
  constexpr int VB = 16 * NV;
  float acc[RW][VB];
  for (int r = 0; r < RW; ++r)
    for (int j = 0; j < VB; ++j) acc[r][j] = 0.f;
  const int coutp = t.coutp, swC = t.swC, run = t.run;
  for (int a = 0; a < t.na; ++a)
    for (int b = 0; b < t.nb; ++b) {
      const float* xs = t.xa[a] + b * t.sH;
      const float* ws = t.wb + a * t.wsA + b * t.wsB;
      for (int ci = 0; ci < run; ++ci) {
        const float* wv = ws + int64_t(ci) * coutp;
        for (int r = 0; r < RW; ++r) {
          float bx = xs[r * swC + ci];
          for (int j = 0; j < VB; ++j) acc[r][j] += bx * wv[j];
        }
      }
    }
  int nv = std::min(t.nvalid, VB);
  for (int r = 0; r < RW; ++r)
    for (int j = 0; j < nv; ++j) t.yb[int64_t(r) * t.yW + j] = acc[r][j];
#endif
}

#if defined(__AVX512BF16__)
// ------------------------------------------------------------- bf16 forward tile
// Input holds bf16 bits with cinp even; weights are [tap][cinp/2][coutp][2] bf16,
// so a run of `run` (k, ci) elements is run/2 channel pairs.
template <int RW, int NV>
void fwd_tile_bf16(const TileArgs<uint16_t>& t) {
  __m512 acc[RW][NV];
  for (int r = 0; r < RW; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int coutp = t.coutp, swC = t.swC, run2 = t.run / 2;
  for (int a = 0; a < t.na; ++a)
    for (int b = 0; b < t.nb; ++b) {
      const uint16_t* xs = t.xa[a] + b * t.sH;
      const uint16_t* ws = t.wb + a * t.wsA + b * t.wsB;
      for (int q = 0; q < run2; ++q) {
        __m512bh wv[NV];
        for (int v = 0; v < NV; ++v)
          wv[v] = (__m512bh)_mm512_loadu_si512(ws + (int64_t(q) * coutp + 16 * v) * 2);
        for (int r = 0; r < RW; ++r) {
          int32_t pair;
          std::memcpy(&pair, xs + r * swC + 2 * q, 4);
          __m512bh bx = (__m512bh)_mm512_set1_epi32(pair);
          for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], bx, wv[v]);
        }
      }
    }
  for (int r = 0; r < RW; ++r) {
    float* yo = t.yb + int64_t(r) * t.yW;
    for (int v = 0; v < NV; ++v) {
      int rem = t.nvalid - 16 * v;
      if (rem >= 16) _mm512_storeu_ps(yo + 16 * v, acc[r][v]);
      else if (rem > 0) _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << rem) - 1u), acc[r][v]);
    }
  }
}
#endif

template <typename T>
using FwdTile = void (*)(const TileArgs<T>&);

// Register tile width over the output row for NV vectors of output channels
// (RW*NV accumulators + NV weight vectors + a broadcast within 32 registers).
constexpr int rw_max(int nv) { return nv == 1 ? 14 : nv == 2 ? 12 : nv == 3 ? 8 : 6; }

template <typename T, int NV>
struct TileTable {
  FwdTile<T> f[15] = {};
};

template <int NV, int... R>
TileTable<float, NV> make_f32(std::integer_sequence<int, R...>) {
  TileTable<float, NV> t;
  ((t.f[R + 1] = &fwd_tile_f32<R + 1, NV>), ...);
  return t;
}

#if defined(__AVX512BF16__)
template <int NV, int... R>
TileTable<uint16_t, NV> make_bf16(std::integer_sequence<int, R...>) {
  TileTable<uint16_t, NV> t;
  ((t.f[R + 1] = &fwd_tile_bf16<R + 1, NV>), ...);
  return t;
}
#endif

template <typename T>
FwdTile<T> tile_for(int nv, int rw);

template <>
FwdTile<float> tile_for<float>(int nv, int rw) {
  static const TileTable<float, 1> t1 = make_f32<1>(std::make_integer_sequence<int, rw_max(1)>{});
  static const TileTable<float, 2> t2 = make_f32<2>(std::make_integer_sequence<int, rw_max(2)>{});
  static const TileTable<float, 3> t3 = make_f32<3>(std::make_integer_sequence<int, rw_max(3)>{});
  static const TileTable<float, 4> t4 = make_f32<4>(std::make_integer_sequence<int, rw_max(4)>{});
  switch (nv) {
    case 1: return t1.f[rw];
    case 2: return t2.f[rw];
    case 3: return t3.f[rw];
    default: return t4.f[rw];
  }
}

#if defined(__AVX512BF16__)
template <>
FwdTile<uint16_t> tile_for<uint16_t>(int nv, int rw) {
  static const TileTable<uint16_t, 1> t1 = make_bf16<1>(std::make_integer_sequence<int, rw_max(1)>{});
  static const TileTable<uint16_t, 2> t2 = make_bf16<2>(std::make_integer_sequence<int, rw_max(2)>{});
  static const TileTable<uint16_t, 3> t3 = make_bf16<3>(std::make_integer_sequence<int, rw_max(3)>{});
  static const TileTable<uint16_t, 4> t4 = make_bf16<4>(std::make_integer_sequence<int, rw_max(4)>{});
  switch (nv) {
    case 1: return t1.f[rw];
    case 2: return t2.f[rw];
    case 3: return t3.f[rw];
    default: return t4.f[rw];
  }
}
#endif

#if defined(__AVX512F__)
// ------------------------------------------------ fp32 tile sharing broadcasts
// Stride S (1, or 2 with three taps) along the row with KW (2 or 3) width taps:
// the input pixel p of the tile's window feeds output pixels o = (p - k) / S for
// every k that divides evenly, so one broadcast of x[p, ci] serves up to KW
// (S = 2: 1.5 on average) multiply-adds and the load ports stop being the limit
// for narrow output blocks. Window pixels outside [plo, phi) lie outside the input
// and are skipped (CLIP), which handles the row borders without a padded copy;
// t.xa[a] is the address window pixel 0 would have. CI > 0 fixes the channel
// stride at compile time so every broadcast address is base + constant (a
// runtime stride made GCC keep one pointer per window pixel and spill them).
template <int RW, int NV, int KW, bool CLIP, int CI, int S>
void fwd_tile_share(const TileArgs<float>& t, int plo, int phi) {
  __m512 acc[RW][NV];
  for (int r = 0; r < RW; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int coutp = t.coutp, cinp = CI > 0 ? CI : t.run / KW;
  for (int a = 0; a < t.na; ++a)
    for (int b = 0; b < t.nb; ++b) {
      const float* xs = t.xa[a] + b * t.sH;
      const float* ws = t.wb + a * t.wsA + b * t.wsB;
      for (int ci = 0; ci < cinp; ++ci) {
        // runtime channel stride: hidden from the optimizer per iteration, so it forms
        // p*stride addresses in the loop instead of keeping one pointer per window
        // pixel live across it (which spilled them)
        int64_t st = cinp;
        if constexpr (CI == 0) asm("" : "+r"(st));
        const float* xc = xs + ci;
        __m512 wv[KW][NV];
#pragma GCC unroll 4
        for (int k = 0; k < KW; ++k)
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) wv[k][v] = _mm512_loadu_ps(ws + (int64_t(k) * cinp + ci) * coutp + 16 * v);
#pragma GCC unroll 40
        for (int p = 0; p < (RW - 1) * S + KW; ++p) {
          if (CLIP && (p < plo || p >= phi)) continue;
          const __m512 bx = _mm512_set1_ps(xc[p * st]);
#pragma GCC unroll 4
          for (int k = 0; k < KW; ++k) {
            if ((p - k) % S != 0) continue;
            const int o = (p - k) / S;
            if (p < k || o >= RW) continue;
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[o][v] = _mm512_fmadd_ps(bx, wv[k][v], acc[o][v]);
          }
        }
      }
    }
  for (int r = 0; r < RW; ++r) {
    float* yo = t.yb + int64_t(r) * t.yW;
    for (int v = 0; v < NV; ++v) {
      int rem = t.nvalid - 16 * v;
      if (rem >= 16) _mm512_storeu_ps(yo + 16 * v, acc[r][v]);
      else if (rem > 0) _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << rem) - 1u), acc[r][v]);
    }
  }
}

using ShareTile = void (*)(const TileArgs<float>&, int, int);
// widest share tile per NV: RW*NV accumulators + KW*NV weights + 1 broadcast <= 32
constexpr int rw_share(int nv) { return nv == 1 ? 16 : 12; }

template <int NV, int KW, int CI, int S, int... R>
std::array<ShareTile, sizeof...(R) + 1> make_share(std::integer_sequence<int, R...>) {
  std::array<ShareTile, sizeof...(R) + 1> t{};
  ((t[size_t(R + 1)] = &fwd_tile_share<R + 1, NV, KW, false, CI, S>), ...);
  return t;
}

// Border tiles run on a zero-padded strip (measured 20 % faster than the CLIP
// variant's per-pixel checks), so only unclipped tiles are instantiated.
template <int CI>
ShareTile share_for_ci(int nv, int kw, int sw, int rw) {
  static const auto t13 = make_share<1, 3, CI, 1>(std::make_integer_sequence<int, rw_share(1)>{});
  static const auto t12 = make_share<1, 2, CI, 1>(std::make_integer_sequence<int, rw_share(1)>{});
  static const auto t23 = make_share<2, 3, CI, 1>(std::make_integer_sequence<int, rw_share(2)>{});
  static const auto t22 = make_share<2, 2, CI, 1>(std::make_integer_sequence<int, rw_share(2)>{});
  static const auto s13 = make_share<1, 3, CI, 2>(std::make_integer_sequence<int, rw_share(1)>{});
  static const auto s23 = make_share<2, 3, CI, 2>(std::make_integer_sequence<int, rw_share(2)>{});
  const size_t i = size_t(rw);
  if (sw == 2) return nv == 1 ? s13[i] : s23[i];
  if (nv == 1) return kw == 3 ? t13[i] : t12[i];
  return kw == 3 ? t23[i] : t22[i];
}

ShareTile share_for(int cinp, int nv, int kw, int sw, int rw) {
  switch (cinp) {
    case 16: return share_for_ci<16>(nv, kw, sw, rw);
    case 32: return share_for_ci<32>(nv, kw, sw, rw);
    default: return share_for_ci<0>(nv, kw, sw, rw);
  }
}

// Channel-pair tile (Core::pair): like fwd_tile_share with one vector, but each
// broadcast is the pair x[p, ci], x[p, ci + 1] (one 64-bit broadcast) against the
// weights of both channels for 8 output channels, so a multiply-add covers two
// input channels and no lane is idle. Stored as acc[2co] + acc[2co + 1].
template <int RW, int KW, int CI, int S>
void fwd_tile_pair(const TileArgs<float>& t) {
  __m512 acc[RW];
  for (int r = 0; r < RW; ++r) acc[r] = _mm512_setzero_ps();
  const int cinp = CI > 0 ? CI : t.run / KW;
  for (int a = 0; a < t.na; ++a)
    for (int b = 0; b < t.nb; ++b) {
      const float* xs = t.xa[a] + b * t.sH;
      const float* ws = t.wb + a * t.wsA + b * t.wsB;
      for (int ci = 0; ci < cinp; ci += 2) {
        int64_t st = cinp;
        if constexpr (CI == 0) asm("" : "+r"(st));
        const float* xc = xs + ci;
        __m512 wv[KW];
#pragma GCC unroll 4
        for (int k = 0; k < KW; ++k) wv[k] = _mm512_loadu_ps(ws + (int64_t(k) * cinp + ci) * 8);
#pragma GCC unroll 40
        for (int p = 0; p < (RW - 1) * S + KW; ++p) {
          double d;
          std::memcpy(&d, xc + p * st, sizeof d);
          const __m512 bx = _mm512_castpd_ps(_mm512_set1_pd(d));
#pragma GCC unroll 4
          for (int k = 0; k < KW; ++k) {
            if ((p - k) % S != 0) continue;
            const int o = (p - k) / S;
            if (p < k || o >= RW) continue;
            acc[o] = _mm512_fmadd_ps(bx, wv[k], acc[o]);
          }
        }
      }
    }
  const __m512i even = _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0);
  const __mmask16 m = __mmask16((1u << std::min(8, t.nvalid)) - 1u);
  for (int r = 0; r < RW; ++r) {
    const __m512 s = _mm512_add_ps(acc[r], _mm512_permute_ps(acc[r], 0xB1));
    _mm512_mask_storeu_ps(t.yb + int64_t(r) * t.yW, m, _mm512_permutexvar_ps(even, s));
  }
}

using PairTile = void (*)(const TileArgs<float>&);

template <int KW, int CI, int S, int... R>
std::array<PairTile, sizeof...(R) + 1> make_pair_tiles(std::integer_sequence<int, R...>) {
  std::array<PairTile, sizeof...(R) + 1> t{};
  ((t[size_t(R + 1)] = &fwd_tile_pair<R + 1, KW, CI, S>), ...);
  return t;
}

template <int CI>
PairTile pair_for_ci(int kw, int sw, int rw) {
  static const auto t3 = make_pair_tiles<3, CI, 1>(std::make_integer_sequence<int, rw_share(1)>{});
  static const auto t2 = make_pair_tiles<2, CI, 1>(std::make_integer_sequence<int, rw_share(1)>{});
  static const auto s3 = make_pair_tiles<3, CI, 2>(std::make_integer_sequence<int, rw_share(1)>{});
  const size_t i = size_t(rw);
  if (sw == 2) return s3[i];
  return kw == 3 ? t3[i] : t2[i];
}

PairTile pair_for(int cinp, int kw, int sw, int rw) {
  switch (cinp) {
    case 8: return pair_for_ci<8>(kw, sw, rw);
    case 16: return pair_for_ci<16>(kw, sw, rw);
    default: return pair_for_ci<0>(kw, sw, rw);
  }
}

// Transposed-width tile (TW = 2, three width taps): the gradient column p of the
// window feeds input-gradient columns o = 2j + k - 2 of the tile (j = window
// index), so each broadcast serves up to three multiply-adds and every column of
// the row is produced by one tile (no width phases, dense stores). Window pixels
// outside [plo, phi) are outside dy; only rows [rlo, rhi) of the tile are stored.
template <int RW, int NV, bool CLIP, int CI>
void fwd_tile_tw(const TileArgs<float>& t, int plo, int phi, int rlo, int rhi) {
  constexpr int TW = 2, KW = 3, M = 2, J = (RW - 1 + M) / TW + 1;
  __m512 acc[RW][NV];
#pragma GCC unroll 16
  for (int r = 0; r < RW; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int coutp = t.coutp, cinp = CI > 0 ? CI : t.run / KW;
  for (int a = 0; a < t.na; ++a)
    for (int b = 0; b < t.nb; ++b) {
      const float* xs = t.xa[a] + b * t.sH;
      const float* ws = t.wb + a * t.wsA + b * t.wsB;
      for (int ci = 0; ci < cinp; ++ci) {
        __m512 wv[KW][NV];
#pragma GCC unroll 4
        for (int k = 0; k < KW; ++k)
#pragma GCC unroll 2
          for (int v = 0; v < NV; ++v) wv[k][v] = _mm512_loadu_ps(ws + (int64_t(k) * cinp + ci) * coutp + 16 * v);
#pragma GCC unroll 20
        for (int j = 0; j < J; ++j) {
          if (CLIP && (j < plo || j >= phi)) continue;
          const __m512 bx = _mm512_set1_ps(xs[j * cinp + ci]);
#pragma GCC unroll 4
          for (int k = 0; k < KW; ++k) {
            const int o = TW * j + k - M;
            if (o < 0 || o >= RW) continue;
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[o][v] = _mm512_fmadd_ps(bx, wv[k][v], acc[o][v]);
          }
        }
      }
    }
#pragma GCC unroll 16
  for (int r = 0; r < RW; ++r) {
    if (r < rlo || r >= rhi) continue;
    float* yo = t.yb + int64_t(r) * t.yW;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      int rem = t.nvalid - 16 * v;
      if (rem >= 16) _mm512_storeu_ps(yo + 16 * v, acc[r][v]);
      else if (rem > 0) _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << rem) - 1u), acc[r][v]);
    }
  }
}

using TwTile = void (*)(const TileArgs<float>&, int, int, int, int);

template <int NV, int CI, int... R>
std::array<TwTile, 2 * (sizeof...(R) + 1)> make_tw(std::integer_sequence<int, R...>) {
  std::array<TwTile, 2 * (sizeof...(R) + 1)> t{};
  ((t[size_t(2 * (R + 1))] = &fwd_tile_tw<R + 1, NV, false, CI>, t[size_t(2 * (R + 1) + 1)] = &fwd_tile_tw<R + 1, NV, true, CI>), ...);
  return t;
}

template <int CI>
TwTile tw_for_ci(int nv, int rw, bool clip) {
  static const auto t1 = make_tw<1, CI>(std::make_integer_sequence<int, rw_share(1)>{});
  static const auto t2 = make_tw<2, CI>(std::make_integer_sequence<int, rw_share(2)>{});
  const size_t i = size_t(2 * rw + (clip ? 1 : 0));
  return nv == 1 ? t1[i] : t2[i];
}

TwTile tw_for(int cinp, int nv, int rw, bool clip) {
  switch (cinp) {
    case 16: return tw_for_ci<16>(nv, rw, clip);
    case 32: return tw_for_ci<32>(nv, rw, clip);
    default: return tw_for_ci<0>(nv, rw, clip);
  }
}
#endif

// Blocks of output-channel vectors: at most 4 vectors (64 channels) per block.
std::vector<std::pair<int, int>> cout_blocks(int coutp) {
  std::vector<std::pair<int, int>> blocks;  // (first vector, vector count)
  int nvec = coutp / 16;
  for (int v = 0; v < nvec;) {
    int left = nvec - v;
    int nv = left <= 4 ? left : (left == 5 ? 3 : 4);
    blocks.emplace_back(v, nv);
    v += nv;
  }
  return blocks;
}

// Per-thread cache of bf16-rounded input planes (the exact bf16 emulation reads
// the input rounded): plane q of x [planes][elems] lives in slot q % slots, so a
// thread walking output depth planes in order rounds each input plane about once,
// into memory that stays in cache, instead of a rounded copy of the whole input.
struct PlaneRing {
  std::vector<float> buf;
  std::vector<int64_t> tag;
  std::vector<int> done;  // rows of the slot's plane rounded so far
  int slots = 0, rows = 0;
  int64_t row_elems = 0;
  void reset(int s, int plane_rows, int64_t elems_per_row) {
    slots = s;
    rows = plane_rows;
    row_elems = elems_per_row;
    const size_t need = size_t(s) * size_t(plane_rows) * size_t(elems_per_row);
    if (buf.size() < need) buf.resize(need);
    tag.assign(size_t(s), -1);
    done.assign(size_t(s), 0);
  }
  // Plane q with at least its first `need_rows` rows rounded: rows are rounded as
  // the output rows reach them, so reading x from memory overlaps the compute.
  const float* get(const float* x, int64_t q, int need_rows) {
    const size_t i = size_t(q % slots);
    const int64_t pe = int64_t(rows) * row_elems;
    float* p = buf.data() + i * size_t(pe);
    if (tag[i] != q) {
      tag[i] = q;
      done[i] = 0;
    }
    need_rows = std::min(need_rows, rows);
    if (done[i] < need_rows) {
      round_bf16_copy(x + q * pe + done[i] * row_elems, p + done[i] * row_elems, (need_rows - done[i]) * row_elems);
      done[i] = need_rows;
    }
    return p;
  }
};

// y (laid out as c.yN..yW) = convolution of the unpadded input x [n,id,ih,iw,cinp]
// (T elements) with packed weights wpk [tap][cinp][coutp], taps clipped at the borders.
// round_planes (fp32 only): x is rounded to bf16 plane by plane as it is read.
template <typename T>
void core_forward(const Core& c, const T* x, const T* wpk, float* y, bool round_planes = false,
                  const T* wpair = nullptr) {
  std::vector<std::pair<int, int>> blocks;  // (first vector, vectors); nv 0: the pair block
  if (c.pair > 0) {
    blocks = cout_blocks(c.coutp);
    blocks.emplace_back(c.coutp / 16, 0);
  } else if (c.tw > 0) {  // the transposed-width tiles take one or two vectors
    for (int v = 0; v < c.coutp / 16; v += 2) blocks.emplace_back(v, std::min(2, c.coutp / 16 - v));
  } else {
    blocks = cout_blocks(c.coutp);
  }
  const int64_t sH = int64_t(c.iw) * c.cinp, sD = int64_t(c.ih) * sH;
  const int swC = c.sw * c.cinp;
  const int64_t wsB = int64_t(c.kw) * c.cinp * c.coutp, wsA = int64_t(c.kh) * wsB;
  // bf16 weights: [tap][cinp/2][coutp][2] -> a vector block starts at 2*16*v elements.
  const int welem = sizeof(T) == 2 ? 2 : 1;
  auto do_row = [&](int nn, int od, int oh, int v0, int nv, PlaneRing* ring) {
    thread_local std::vector<T> strip;
    thread_local std::vector<const T*> xa;
    if (xa.size() < size_t(c.kd)) xa.resize(size_t(c.kd));
    {
      // valid depth taps [a0, a1) and height taps [b0, b1) of this output row
      const int d0 = od * c.sd - c.pf, h0 = oh * c.sh - c.pt;
      const int a0 = std::max(0, -d0), a1 = std::min(c.kd, c.id - d0);
      const int b0 = std::max(0, -h0), b1 = std::min(c.kh, c.ih - h0);
      const int na = std::max(0, a1 - a0), nb = std::max(0, b1 - b0);
      TileArgs<T> t{};
      t.na = na; t.nb = nb;
      t.coutp = c.coutp;
      t.run = c.kw * c.cinp;
      t.wsA = wsA; t.wsB = wsB;
      t.wb = na && nb ? wpk + (int64_t(a0) * c.kh + b0) * wsB + 16 * v0 * welem : wpk;
      if (nv == 0) {  // the channel-pair block: 8 floats per input channel
        t.coutp = 8;
        t.wsB = int64_t(c.kw) * c.cinp * 8;
        t.wsA = int64_t(c.kh) * t.wsB;
        t.wb = na && nb ? wpair + (int64_t(a0) * c.kh + b0) * t.wsB : wpair;
      }
      t.yW = c.yW;
      t.nvalid = c.cout - 16 * v0;
      t.xa = xa.data();
      float* yrow = y + nn * c.yN + od * c.yD + oh * c.yH + 16 * v0;
      // input row (depth tap a0 + a, height tap b0) of this output row; used only when na, nb > 0
      const T* xrow_a[16];
      const T* const* xr = xrow_a;
      thread_local std::vector<const T*> xrow_big;
      if (c.kd > 16) {
        if (xrow_big.size() < size_t(c.kd)) xrow_big.resize(size_t(c.kd));
        xr = xrow_big.data();
      }
      for (int a = 0; a < na && nb > 0; ++a) {
        const int64_t q = int64_t(nn) * c.id + d0 + a0 + a;
        const T* plane;
        if constexpr (std::is_same_v<T, float>) plane = ring != nullptr ? ring->get(x, q, h0 + b1) : x + q * sD;
        else plane = x + q * sD;
        (c.kd > 16 ? xrow_big.data() : xrow_a)[a] = plane + int64_t(h0 + b0) * sH;
      }
#if defined(__AVX512F__)
      if constexpr (std::is_same_v<T, float>) {
        if (c.tw == 2 && na > 0 && nb > 0) {
          // output columns [i0, i0 + rw) with (i0 + pl) even: window pixel j is gradient
          // column (i0 + pl)/2 - 1 + j
          t.sH = sH;
          const int rmax = rw_share(nv);
          for (int i0 = -(c.pl % 2); i0 < c.ow; i0 += rmax) {
            const int rw = std::min(rmax, c.ow - i0);
            const int p0 = (i0 + c.pl) / 2 - 1, nj = (rw + 1) / 2 + 1;
            const int plo = std::min(nj, std::max(0, -p0)), phi = std::max(plo, std::min(nj, c.iw - p0));
            for (int a = 0; a < na; ++a)
              xa[size_t(a)] = reinterpret_cast<const T*>(reinterpret_cast<uintptr_t>(xr[a]) +
                                                         intptr_t(p0) * c.cinp * intptr_t(sizeof(T)));
            t.yb = reinterpret_cast<float*>(reinterpret_cast<uintptr_t>(yrow) + intptr_t(i0) * c.yW * intptr_t(sizeof(float)));
            tw_for(c.cinp, nv, rw, plo > 0 || phi < nj)(t, plo, phi, std::max(0, -i0), rw);
          }
          return;
        }
        if (((c.sw == 1 && (c.kw == 2 || c.kw == 3)) || (c.sw == 2 && c.kw == 3)) && nv <= 2 && na > 0 && nb > 0) {
          t.sH = sH;
          const int nt = (c.ow + rw_share(nv) - 1) / rw_share(nv);  // tiles of near-equal width
          for (int i = 0, o = 0; i < nt; ++i) {
            const int rw = c.ow / nt + (i < c.ow % nt ? 1 : 0);
            const int w0 = o * c.sw - c.pl, np = (rw - 1) * c.sw + c.kw;
            const int plo = std::min(np, std::max(0, -w0)), phi = std::max(plo, std::min(np, c.iw - w0));
            t.yb = yrow + int64_t(o) * c.yW;
            t.sH = sH;
            if (plo == 0 && phi == np) {
              for (int a = 0; a < na; ++a) xa[size_t(a)] = xr[a] + int64_t(w0) * c.cinp;  // interior: w0 >= 0
            } else {
              // border tile: its window rows copied into a zero-padded strip [na][nb][np][cinp],
              // then the unclipped tile (runtime clipping checks cost more than the copy)
              const size_t need = size_t(na) * nb * np * c.cinp;
              if (strip.size() < need) strip.resize(need);
              for (int a = 0; a < na; ++a)
                for (int bb = 0; bb < nb; ++bb) {
                  T* sp = strip.data() + (size_t(a) * nb + bb) * np * c.cinp;
                  const T* src = xr[a] + bb * sH;
                  if (plo > 0) std::memset(sp, 0, sizeof(T) * size_t(plo) * c.cinp);
                  if (phi > plo)
                    std::memcpy(sp + size_t(plo) * c.cinp, src + int64_t(w0 + plo) * c.cinp, sizeof(T) * size_t(phi - plo) * c.cinp);
                  if (phi < np) std::memset(sp + size_t(phi) * c.cinp, 0, sizeof(T) * size_t(np - phi) * c.cinp);
                }
              for (int a = 0; a < na; ++a) xa[size_t(a)] = strip.data() + size_t(a) * nb * np * c.cinp;
              t.sH = int64_t(np) * c.cinp;
            }
            if (nv == 0) pair_for(c.cinp, c.kw, c.sw, rw)(t);
            else share_for(c.cinp, nv, c.kw, c.sw, rw)(t, 0, np);
            o += rw;
          }
          return;
        }
      }
#endif
      const int rmax = rw_max(nv);
      const int nt = (c.ow + rmax - 1) / rmax;  // tiles of near-equal width
      for (int i = 0, o = 0; i < nt; o += c.ow / nt + (i < c.ow % nt ? 1 : 0), ++i) {
        const int rw = c.ow / nt + (i < c.ow % nt ? 1 : 0);
        auto tile = tile_for<T>(std::max(nv, 1), rw);  // nv 0 (pair block): only zero rows come here
        t.yb = yrow + int64_t(o) * c.yW;
        const int w0 = o * c.sw - c.pl, wl = (rw - 1) * c.sw + c.kw;  // input columns [w0, w0 + wl)
        if (na == 0 || nb == 0) {
          t.na = 0;
          tile(t);  // every tap outside the input: zeros
          t.na = na;
        } else if (w0 >= 0 && w0 + wl <= c.iw) {
          for (int a = 0; a < na; ++a) xa[size_t(a)] = xr[a] + int64_t(w0) * c.cinp;
          t.sH = sH;
          t.swC = swC;
          tile(t);
        } else {
          // border tile: copy its input columns into a zero-padded strip [na][nb][wl][cinp]
          const size_t need = size_t(na) * nb * wl * c.cinp;
          if (strip.size() < need) strip.resize(need);
          const int lo = std::min(wl, std::max(0, -w0)), hi = std::min(wl, c.iw - w0);  // valid strip columns
          for (int a = 0; a < na; ++a)
            for (int bb = 0; bb < nb; ++bb) {
              T* s = strip.data() + (size_t(a) * nb + bb) * wl * c.cinp;
              const T* src = xr[a] + bb * sH;
              if (lo > 0) std::memset(s, 0, sizeof(T) * size_t(lo) * c.cinp);
              if (hi > lo)
                std::memcpy(s + size_t(lo) * c.cinp, src + int64_t(w0 + lo) * c.cinp, sizeof(T) * size_t(hi - lo) * c.cinp);
              if (hi < wl) std::memset(s + size_t(std::max(hi, lo)) * c.cinp, 0, sizeof(T) * size_t(wl - std::max(hi, lo)) * c.cinp);
            }
          for (int a = 0; a < na; ++a) xa[size_t(a)] = strip.data() + size_t(a) * nb * wl * c.cinp;
          t.sH = int64_t(wl) * c.cinp;
          t.swC = swC;
          tile(t);
        }
      }
    }
  };
  (void)round_planes;
  if constexpr (std::is_same_v<T, float>) {
    if (round_planes) {
      // one contiguous range of output depth planes per thread, so the ring hits
      const int64_t planes = int64_t(c.n) * c.od;
      parallel_for(planes, (planes + num_threads() - 1) / num_threads(), [&](int64_t b, int64_t e) {
        thread_local PlaneRing ring;
        ring.reset(c.kd + c.sd, c.ih, sH);
        for (int64_t q = b; q < e; ++q)
          for (int oh = 0; oh < c.oh; ++oh)
            for (auto [v0, nv] : blocks) do_row(int(q / c.od), int(q % c.od), oh, v0, nv, &ring);
      });
      return;
    }
  }
  const int64_t rows = int64_t(c.n) * c.od * c.oh;
  const int64_t items = rows * int64_t(blocks.size());
  parallel_for(items, 1, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      const int64_t row = it / int64_t(blocks.size());
      auto [v0, nv] = blocks[size_t(it % int64_t(blocks.size()))];
      const int nn = int(row / (int64_t(c.od) * c.oh));
      const int rem = int(row % (int64_t(c.od) * c.oh));
      do_row(nn, rem / c.oh, rem % c.oh, v0, nv, nullptr);
    }
  });
}

// Packs w[tap][ci][co] (strides given) into fp32 [tap][cinp][coutp].
// `src(tap, ci, co)` returns the source value.
template <typename Src>
std::vector<float> pack_w_f32(int taps, int cin, int cout, int cinp, int coutp, bool round, Src src) {
  std::vector<float> p(size_t(taps) * cinp * coutp, 0.f);
  for (int t = 0; t < taps; ++t)
    for (int ci = 0; ci < cin; ++ci)
      for (int co = 0; co < cout; ++co) {
        float v = src(t, ci, co);
        p[(size_t(t) * cinp + ci) * coutp + co] = round ? round_bf16(v) : v;
      }
  return p;
}

// Packs into bf16 [tap][cinp/2][coutp][2].
template <typename Src>
std::vector<uint16_t> pack_w_bf16(int taps, int cin, int cout, int cinp, int coutp, Src src) {
  std::vector<uint16_t> p(size_t(taps) * cinp * coutp, 0);
  for (int t = 0; t < taps; ++t)
    for (int ci = 0; ci < cin; ++ci)
      for (int co = 0; co < cout; ++co)
        p[((size_t(t) * (cinp / 2) + ci / 2) * coutp + co) * 2 + (ci & 1)] = to_bf16_bits(src(t, ci, co));
  return p;
}

// Runs the core on input x [c.n, c.id, c.ih, c.iw, cin] (fp32, unpadded).
// fp32 reads x in place; bf16 converts it once (dot products: bf16 bits with an
// even channel count; emulation: fp32 values rounded to bf16, unless x_rounded
// says x already is).
template <typename Src>
std::string run_forward(Core c, const float* x, int cin, bool bf16, Src wsrc, float* y, bool x_rounded = false) {
  const int taps = c.kd * c.kh * c.kw;
  c.coutp = round_up(c.cout, 16);
  const int64_t pix = int64_t(c.n) * c.id * c.ih * c.iw;
#if defined(__AVX512BF16__)
  if (bf16 && conv3d_bf16_dot_in_use()) {
    c.cinp = round_up(cin, 2);
    uint16_t* xb = scratch_as<uint16_t>(ScratchSlot::kInput, size_t(pix) * c.cinp);
    if (xb == nullptr) return "out of memory for the bf16 input";
    parallel_for(pix, 1024, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const float* s = x + p * cin;
        uint16_t* d = xb + p * c.cinp;
        for (int k = 0; k < cin; ++k) d[k] = to_bf16_bits(s[k]);
        for (int k = cin; k < c.cinp; ++k) d[k] = 0;
      }
    });
    auto w = pack_w_bf16(taps, cin, c.cout, c.cinp, c.coutp, wsrc);
    core_forward<uint16_t>(c, xb, w.data(), y);
    return "";
  }
#endif
  c.cinp = cin;
#if defined(__AVX512F__)
  // 8 or fewer output channels and an even input channel count: channel-pair tiles
  // (the share-tile geometry; rows with every tap outside the input store zeros)
  if (c.cout % 16 >= 1 && c.cout % 16 <= 8 && cin % 2 == 0 && c.tw == 0 &&
      ((c.sw == 1 && (c.kw == 2 || c.kw == 3)) || (c.sw == 2 && c.kw == 3))) {
    c.pair = 1;
    c.coutp = c.cout / 16 * 16;
    const int co0 = c.coutp;
    std::vector<float> wp(size_t(taps) * cin * 8, 0.f);
    for (int t = 0; t < taps; ++t)
      for (int ci = 0; ci < cin; ++ci)
        for (int co = co0; co < c.cout; ++co) {
          float v = wsrc(t, ci, co);
          wp[(size_t(t) * cin + (ci & ~1)) * 8 + 2 * (co - co0) + (ci & 1)] = bf16 ? round_bf16(v) : v;
        }
    auto w = pack_w_f32(taps, cin, co0, c.cinp, c.coutp, bf16, wsrc);
    core_forward<float>(c, x, w.data(), y, bf16 && !x_rounded, wp.data());
    return "";
  }
#endif
  auto w = pack_w_f32(taps, cin, c.cout, c.cinp, c.coutp, bf16, wsrc);
  if (!bf16 || x_rounded) {
    core_forward<float>(c, x, w.data(), y);
    return "";
  }
  (void)pix;
  core_forward<float>(c, x, w.data(), y, /*round_planes=*/true);
  return "";
}

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

// =================================================================== forward
std::string conv3d_forward(const Conv3DGeom& g, const float* x, const float* filter, float* y,
                           ConvPrecision p) {
  Core c{};
  c.n = g.n;
  c.id = g.d; c.ih = g.h; c.iw = g.w;
  c.kd = g.kd; c.kh = g.kh; c.kw = g.kw;
  c.sd = g.sd; c.sh = g.sh; c.sw = g.sw;
  c.pf = g.pf; c.pt = g.pt; c.pl = g.pl;
  c.od = g.od; c.oh = g.oh; c.ow = g.ow;
  c.cout = g.cout;
  dense_output(c);
  if (int64_t(g.n) * g.od * g.oh * g.ow * g.cout == 0) return "";
  const bool bf16 = p == ConvPrecision::kBf16;
  if (const int terms = amx_terms(bf16); terms > 0 && conv3d_amx_takes_forward(g)) {
    std::string err;
    if (conv3d_amx_forward(g, x, filter, y, terms, &err) || !err.empty()) return err;
  }
  if (conv3d_small_pointwise(g)) return pointwise_forward(g, x, filter, y, bf16);
  if (conv3d_forward_c1(g)) return forward_c1(g, x, filter, y, bf16);
  auto wsrc = [&](int t, int ci, int co) { return filter[(int64_t(t) * g.cin + ci) * g.cout + co]; };
  return run_forward(c, x, g.cin, bf16, wsrc, y);
}

// ================================================= strided input gradient
// With stride s the zero-dilated formulation multiplies mostly zeros (7/8 of
// the work at stride 2 in 3D). Instead the input positions are split by phase
// r = (i + pad) mod s along each axis: the positions of one phase receive only
// the taps k = r + s*j, so each phase is a dense stride-1 convolution of dy with
// that sub-filter (flipped, transposed), written straight to its positions of dx
// (the core's output strides are s times the dense ones).
namespace {
struct Phase1D {
  int q0 = 0, count = 0;  // input positions i = s*(q0+u) + r - pad, u in [0, count)
  int taps = 0;           // J = taps k = r + s*j of this phase
  int pad = 0;            // padding before dy for the stride-1 correlation
};

Phase1D phase_1d(int in, int k, int s, int pad, int r) {
  Phase1D p;
  // smallest q with s*q + r - pad >= 0, largest with s*q + r - pad <= in - 1
  auto floor_div = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  const int qmin = -floor_div(r - pad, s);
  const int qmax = floor_div(in - 1 + pad - r, s);
  p.q0 = qmin;
  p.count = std::max(0, qmax - qmin + 1);
  p.taps = r < k ? (k - r + s - 1) / s : 0;
  p.pad = p.taps - 1 - qmin;
  return p;
}
}  // namespace

static std::string backprop_input_phases(const Conv3DGeom& g, const float* dy, const float* filter, float* dx, bool bf16) {
  // bf16: round dy once for all phases (each phase reads it)
  const float* src = dy;
  if (bf16 && !conv3d_bf16_dot_in_use()) {
    const int64_t total = int64_t(g.n) * g.od * g.oh * g.ow * g.cout;
    float* r = scratch_as<float>(ScratchSlot::kGrad, size_t(total));
    if (r == nullptr) return "out of memory for the bf16-rounded gradient";
    round_copy_parallel(dy, r, total);
    src = r;
  }
  // AVX-512, width stride 2 with three width taps, fp32 or the emulation: the width
  // is handled by transposed-width tiles, so only depth and height are split in phases
  bool tw = false;
#if defined(__AVX512F__)
  tw = g.sw == 2 && g.kw == 3 && !(bf16 && conv3d_bf16_dot_in_use());
#endif
  for (int rd = 0; rd < g.sd; ++rd)
    for (int rh = 0; rh < g.sh; ++rh)
      for (int rw = 0; rw < (tw ? 1 : g.sw); ++rw) {
        const Phase1D pd = phase_1d(g.d, g.kd, g.sd, g.pf, rd);
        const Phase1D ph = phase_1d(g.h, g.kh, g.sh, g.pt, rh);
        const Phase1D pw = phase_1d(g.w, g.kw, g.sw, g.pl, rw);
        if (pd.count == 0 || ph.count == 0 || pw.count == 0) continue;
        Core c{};
        c.n = g.n;
        c.id = g.od; c.ih = g.oh; c.iw = g.ow;
        // a phase without taps along an axis has kd (kh, kw) 0: the core writes zeros
        c.kd = pd.taps; c.kh = ph.taps; c.kw = tw ? g.kw : pw.taps;
        c.sd = c.sh = c.sw = 1;
        c.pf = pd.pad; c.pt = ph.pad; c.pl = tw ? g.pl : pw.pad;
        c.od = pd.count; c.oh = ph.count; c.ow = tw ? g.w : pw.count;
        c.tw = tw ? g.sw : 0;
        c.cout = g.cin;
        c.yW = int64_t(tw ? 1 : g.sw) * g.cin;
        c.yH = int64_t(g.sh) * g.w * g.cin;
        c.yD = int64_t(g.sd) * g.h * g.w * g.cin;
        c.yN = int64_t(g.d) * g.h * g.w * g.cin;
        const int id0 = g.sd * pd.q0 + rd - g.pf, ih0 = g.sh * ph.q0 + rh - g.pt, iw0 = tw ? 0 : g.sw * pw.q0 + rw - g.pl;
        float* y = dx + ((int64_t(id0) * g.h + ih0) * g.w + iw0) * g.cin;
        auto wsrc = [&](int t, int co, int ci) {
          // sub-filter tap (a,b,k), flipped, is the original tap r + s*(J-1-a) per axis;
          // transposed width: tap k is the original width tap k
          const int a = t / (c.kh * c.kw), b = (t / c.kw) % c.kh, k = t % c.kw;
          const int od = rd + g.sd * (c.kd - 1 - a), oh = rh + g.sh * (c.kh - 1 - b);
          const int ow = tw ? k : rw + g.sw * (c.kw - 1 - k);
          const int s = (od * g.kh + oh) * g.kw + ow;
          return filter[(int64_t(s) * g.cin + ci) * g.cout + co];
        };
        // the emulation reads the gradient rounded once above
        std::string err = run_forward(c, src, g.cout, bf16, wsrc, y, src != dy);
        if (!err.empty()) return err;
      }
  return "";
}

// ============================================================ input gradient
// dx = stride-1 convolution of dy (padding kernel-1-pad) with the flipped,
// transposed filter.
std::string conv3d_backprop_input(const Conv3DGeom& g, const float* dy, const float* filter,
                                  float* dx, ConvPrecision p) {
  if (int64_t(g.n) * g.d * g.h * g.w * g.cin == 0) return "";
  const bool bf16 = p == ConvPrecision::kBf16;
  if (const int terms = amx_terms(bf16); terms > 0 && conv3d_amx_takes_backprop_input(g)) {
    std::string err;
    if (conv3d_amx_backprop_input(g, dy, filter, dx, terms, &err) || !err.empty()) return err;
  }
  if (conv3d_small_pointwise(g)) return pointwise_backprop_input(g, dy, filter, dx, bf16);
  if (g.sd > 1 || g.sh > 1 || g.sw > 1) return backprop_input_phases(g, dy, filter, dx, bf16);
  Core c{};
  c.n = g.n;
  c.id = g.od; c.ih = g.oh; c.iw = g.ow;
  c.kd = g.kd; c.kh = g.kh; c.kw = g.kw;
  c.sd = c.sh = c.sw = 1;
  c.pf = g.kd - 1 - g.pf; c.pt = g.kh - 1 - g.pt; c.pl = g.kw - 1 - g.pl;
  c.od = g.d; c.oh = g.h; c.ow = g.w;
  c.cout = g.cin;
  dense_output(c);
  auto wsrc = [&](int t, int co, int ci) {
    // tap t = (a,b,k) of the flipped filter reads (kd-1-a, kh-1-b, kw-1-k).
    int a = t / (g.kh * g.kw), b = (t / g.kw) % g.kh, k = t % g.kw;
    int src = ((g.kd - 1 - a) * g.kh + (g.kh - 1 - b)) * g.kw + (g.kw - 1 - k);
    return filter[(int64_t(src) * g.cin + ci) * g.cout + co];
  };
  return run_forward(c, dy, g.cout, bf16, wsrc, dx);
}

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
  const bool round = p == ConvPrecision::kBf16;
  if (const int terms = amx_terms(round); terms > 0 && conv3d_amx_takes_backprop_filter(g)) {
    std::string err;
    if (conv3d_amx_backprop_filter(g, x, dy, dfilter, terms, &err) || !err.empty()) return err;
  }
  if (conv3d_small_pointwise(g)) return pointwise_backprop_filter(g, x, dy, dfilter, round);
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

// ================================================================ naive refs
void conv3d_forward_naive(const Conv3DGeom& g, const float* x, const float* f, float* y) {
  for (int n = 0; n < g.n; ++n)
    for (int od = 0; od < g.od; ++od)
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow)
          for (int co = 0; co < g.cout; ++co) {
            double s = 0;
            for (int a = 0; a < g.kd; ++a)
              for (int b = 0; b < g.kh; ++b)
                for (int k = 0; k < g.kw; ++k) {
                  int id = od * g.sd + a - g.pf, ih = oh * g.sh + b - g.pt, iw = ow * g.sw + k - g.pl;
                  if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                  for (int ci = 0; ci < g.cin; ++ci)
                    s += double(x[(((int64_t(n) * g.d + id) * g.h + ih) * g.w + iw) * g.cin + ci]) *
                         f[((((int64_t(a) * g.kh + b) * g.kw + k) * g.cin) + ci) * g.cout + co];
                }
            y[(((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout + co] = float(s);
          }
}

void conv3d_backprop_input_naive(const Conv3DGeom& g, const float* dy, const float* f, float* dx) {
  std::vector<double> acc(size_t(g.n) * g.d * g.h * g.w * g.cin, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int od = 0; od < g.od; ++od)
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow)
          for (int a = 0; a < g.kd; ++a)
            for (int b = 0; b < g.kh; ++b)
              for (int k = 0; k < g.kw; ++k) {
                int id = od * g.sd + a - g.pf, ih = oh * g.sh + b - g.pt, iw = ow * g.sw + k - g.pl;
                if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                for (int ci = 0; ci < g.cin; ++ci) {
                  double s = 0;
                  for (int co = 0; co < g.cout; ++co)
                    s += double(dy[(((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout + co]) *
                         f[((((int64_t(a) * g.kh + b) * g.kw + k) * g.cin) + ci) * g.cout + co];
                  acc[(((int64_t(n) * g.d + id) * g.h + ih) * g.w + iw) * g.cin + ci] += s;
                }
              }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = float(acc[i]);
}

void conv3d_backprop_filter_naive(const Conv3DGeom& g, const float* x, const float* dy, float* df) {
  const size_t taps = size_t(g.kd) * g.kh * g.kw;
  std::vector<double> acc(taps * g.cin * g.cout, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int od = 0; od < g.od; ++od)
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow)
          for (int a = 0; a < g.kd; ++a)
            for (int b = 0; b < g.kh; ++b)
              for (int k = 0; k < g.kw; ++k) {
                int id = od * g.sd + a - g.pf, ih = oh * g.sh + b - g.pt, iw = ow * g.sw + k - g.pl;
                if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                for (int ci = 0; ci < g.cin; ++ci) {
                  double xv = x[(((int64_t(n) * g.d + id) * g.h + ih) * g.w + iw) * g.cin + ci];
                  for (int co = 0; co < g.cout; ++co)
                    acc[((((int64_t(a) * g.kh + b) * g.kw + k) * g.cin) + ci) * g.cout + co] +=
                        xv * dy[(((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout + co];
                }
              }
  for (size_t i = 0; i < acc.size(); ++i) df[i] = float(acc[i]);
}

// ================================================================ FMA peak
template <typename Body>
double time_peak(int threads, double seconds, int64_t iters, double flops_per_iter, Body body);

double fma_peak_gflops(int threads, double seconds, bool bf16_dot) {
  threads = std::max(1, threads);
  const int64_t iters = 1 << 22;
#if defined(__AVX512BF16__)
  if (bf16_dot) {
    auto body = [](int64_t n, float seed) -> float {
      __m512 a[16];
      const __m512bh m = (__m512bh)_mm512_set1_epi32(0x3f803f80), k = (__m512bh)_mm512_set1_epi32(0x33d633d6);
      for (int i = 0; i < 16; ++i) a[i] = _mm512_set1_ps(seed + i);
      for (int64_t it = 0; it < n; ++it)
        for (int i = 0; i < 16; ++i) a[i] = _mm512_dpbf16_ps(a[i], m, k);
      __m512 s = a[0];
      for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, a[i]);
      return _mm512_reduce_add_ps(s);
    };
    return time_peak(threads, seconds, iters, 16.0 * 32.0 * 2.0, body);
  }
#else
  if (bf16_dot) return 0.0;
#endif
  auto body = [](int64_t n, float seed) -> float {
#if defined(__AVX512F__)
    __m512 a[16];
    const __m512 m = _mm512_set1_ps(0.999999f), k = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 16; ++i) a[i] = _mm512_set1_ps(seed + i);
    for (int64_t it = 0; it < n; ++it)
      for (int i = 0; i < 16; ++i) a[i] = _mm512_fmadd_ps(a[i], m, k);
    __m512 s = a[0];
    for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
#else
    float a[16][16];
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 16; ++j) a[i][j] = seed + i + j;
    for (int64_t it = 0; it < n; ++it)
      for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) a[i][j] = a[i][j] * 0.999999f + 1e-7f;
    float s = 0;
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 16; ++j) s += a[i][j];
    return s;
#endif
  };
  return time_peak(threads, seconds, iters, 16.0 * 16.0 * 2.0, body);
}

template <typename Body>
double time_peak(int threads, double seconds, int64_t iters, double flops_per_iter, Body body) {
  double best = 0;
  auto t_end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::atomic<float> sink{0};
  do {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] { float v = body(iters, float(t)); sink.store(v); });
    for (auto& t : ts) t.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, flops_per_iter * double(iters) * threads / s / 1e9);
  } while (std::chrono::steady_clock::now() < t_end);
  return best;
}

}  // namespace clara
