// The register-tile core of the direct conv3d (NDHWC, blocked on output channels in
// 16-wide fp32 vectors, register tiles over the output row): the forward pass and the
// input gradient (conv3d_forward.cc, conv3d_backprop_input.cc) both run it. No padded
// copy of the input is made: taps outside it are clipped per output row, and the
// register tiles that touch a row's border read a small zero-padded strip. Tiles:
// plain fp32, bf16 dot products (vdpbf16ps, AVX512-BF16), broadcast-sharing tiles
// along the row (stride 1 and 2), channel-pair tiles (<= 8 output channels) and
// transposed-width tiles (the strided input gradient).
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

namespace conv3d_detail {

// dst[i] = round_bf16(src[i]) for n values, in parallel chunks.
void round_copy_parallel(const float* src, float* dst, int64_t n) {
  parallel_for((n + 4095) / 4096, 4, [&](int64_t b, int64_t e) {
    const int64_t lo = b * 4096, hi = std::min(n, e * 4096);
    round_bf16_copy(src + lo, dst + lo, hi - lo);
  });
}

namespace {

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

}  // namespace

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

// y (laid out as c.yN..yW) = convolution of the unpadded input x [n,id,ih,iw,cinp]
// (T elements) with packed weights wpk [tap][cinp][coutp], taps clipped at the borders.
// round_planes (fp32 only): x is rounded to bf16 plane by plane as it is read.
template <typename T>
void core_forward(const Core& c, const T* x, const T* wpk, float* y, bool round_planes, const T* wpair) {
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

template void core_forward<float>(const Core&, const float*, const float*, float*, bool, const float*);
#if defined(__AVX512BF16__)
template void core_forward<uint16_t>(const Core&, const uint16_t*, const uint16_t*, float*, bool, const uint16_t*);
#endif

}  // namespace conv3d_detail

}  // namespace clara
