// Direct 3D convolution, NDHWC, blocked on output channels (16-wide fp32 vectors)
// with register tiles over the output row. The input is copied once into a
// zero-padded buffer so the inner loops have no bounds checks. bf16 mode rounds
// inputs and weights to bfloat16 (round-to-nearest-even) and accumulates in fp32:
// with AVX512-BF16 the forward and input-gradient kernels use vdpbf16ps on
// channel pairs; elsewhere (and for the filter gradient) the fp32 kernel runs
// on the rounded values, which is the exact emulation.
#include "kernels/conv3d.h"
#include "kernels/conv3d_small.h"

#include <algorithm>
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

// Geometry of the core "valid" convolution on a padded buffer.
struct Core {
  int n, dp, hp, wp, cinp;  // padded input (channel stride cinp)
  int kd, kh, kw;
  int sd, sh, sw;
  int od, oh, ow;
  int cout, coutp;          // real and padded output channels (coutp % 16 == 0)
};

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

// ------------------------------------------------------------- fp32 forward tile
template <int RW, int NV>
void fwd_tile_f32(const float* xb, int64_t sD, int64_t sH, int swC, const Core& c,
                  const float* wb, float* yb, int nvalid) {
#if defined(__AVX512F__)
  __m512 acc[RW][NV];
  for (int r = 0; r < RW; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int cinp = c.cinp, coutp = c.coutp;
  for (int a = 0; a < c.kd; ++a)
    for (int b = 0; b < c.kh; ++b) {
      const float* xr = xb + a * sD + b * sH;
      const float* wr = wb + int64_t((a * c.kh + b) * c.kw) * cinp * coutp;
      // stride 1 along w: (kw, ci) is one contiguous run in both x and the weights
      const int kk = c.sw == 1 ? 1 : c.kw, run = c.sw == 1 ? c.kw * cinp : cinp;
      for (int k = 0; k < kk; ++k) {
        const float* xs = xr + k * cinp;
        const float* ws = wr + int64_t(k) * cinp * coutp;
        for (int ci = 0; ci < run; ++ci) {
          __m512 wv[NV];
          for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_ps(ws + int64_t(ci) * coutp + 16 * v);
          for (int r = 0; r < RW; ++r) {
            __m512 bx = _mm512_set1_ps(xs[r * swC + ci]);
            for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(bx, wv[v], acc[r][v]);
          }
        }
      }
    }
  for (int r = 0; r < RW; ++r) {
    float* yo = yb + int64_t(r) * c.cout;
    for (int v = 0; v < NV; ++v) {
      int rem = nvalid - 16 * v;
      if (rem >= 16) _mm512_storeu_ps(yo + 16 * v, acc[r][v]);
      else if (rem > 0) _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << rem) - 1u), acc[r][v]);
    }
  }
#else
  constexpr int VB = 16 * NV;
  float acc[RW][VB];
  for (int r = 0; r < RW; ++r)
    for (int j = 0; j < VB; ++j) acc[r][j] = 0.f;
  const int cinp = c.cinp, coutp = c.coutp;
  for (int a = 0; a < c.kd; ++a)
    for (int b = 0; b < c.kh; ++b) {
      const float* xr = xb + a * sD + b * sH;
      const float* wr = wb + int64_t((a * c.kh + b) * c.kw) * cinp * coutp;
      // stride 1 along w: (kw, ci) is one contiguous run in both x and the weights
      const int kk = c.sw == 1 ? 1 : c.kw, run = c.sw == 1 ? c.kw * cinp : cinp;
      for (int k = 0; k < kk; ++k) {
        const float* xs = xr + k * cinp;
        const float* ws = wr + int64_t(k) * cinp * coutp;
        for (int ci = 0; ci < run; ++ci) {
          const float* wv = ws + int64_t(ci) * coutp;
          for (int r = 0; r < RW; ++r) {
            float bx = xs[r * swC + ci];
            for (int j = 0; j < VB; ++j) acc[r][j] += bx * wv[j];
          }
        }
      }
    }
  int nv = std::min(nvalid, VB);
  for (int r = 0; r < RW; ++r)
    for (int j = 0; j < nv; ++j) yb[int64_t(r) * c.cout + j] = acc[r][j];
#endif
}

#if defined(__AVX512BF16__)
// ------------------------------------------------------------- bf16 forward tile
// xp holds bf16 bits with cinp even; weights are [tap][cinp/2][coutp][2] bf16.
template <int RW, int NV>
void fwd_tile_bf16(const uint16_t* xb, int64_t sD, int64_t sH, int swC, const Core& c,
                   const uint16_t* wb, float* yb, int nvalid) {
  __m512 acc[RW][NV];
  for (int r = 0; r < RW; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int cinp = c.cinp, coutp = c.coutp, cp2 = cinp / 2;
  for (int a = 0; a < c.kd; ++a)
    for (int b = 0; b < c.kh; ++b) {
      const uint16_t* xr = xb + a * sD + b * sH;
      const uint16_t* wr = wb + int64_t((a * c.kh + b) * c.kw) * cinp * coutp;
      const int kk = c.sw == 1 ? 1 : c.kw, run2 = c.sw == 1 ? c.kw * cp2 : cp2;
      for (int k = 0; k < kk; ++k) {
        const uint16_t* xs = xr + k * cinp;
        const uint16_t* ws = wr + int64_t(k) * cinp * coutp;
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
    }
  for (int r = 0; r < RW; ++r) {
    float* yo = yb + int64_t(r) * c.cout;
    for (int v = 0; v < NV; ++v) {
      int rem = nvalid - 16 * v;
      if (rem >= 16) _mm512_storeu_ps(yo + 16 * v, acc[r][v]);
      else if (rem > 0) _mm512_mask_storeu_ps(yo + 16 * v, __mmask16((1u << rem) - 1u), acc[r][v]);
    }
  }
}
#endif

template <typename T>
using FwdTile = void (*)(const T*, int64_t, int64_t, int, const Core&, const T*, float*, int);

// Register tile width over the output row for NV vectors of output channels.
constexpr int rw_max(int nv) { return nv == 1 ? 12 : nv == 2 ? 12 : nv == 3 ? 8 : 6; }

template <typename T, int NV>
struct TileTable {
  FwdTile<T> f[13] = {};
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

// y[n,od,oh,ow,cout] = valid conv of xp (T elements) with packed weights wpk.
template <typename T>
void core_forward(const Core& c, const T* xp, const T* wpk, float* y) {
  auto blocks = cout_blocks(c.coutp);
  const int64_t rows = int64_t(c.n) * c.od * c.oh;
  const int64_t items = rows * int64_t(blocks.size());
  const int64_t sD = int64_t(c.hp) * c.wp * c.cinp, sH = int64_t(c.wp) * c.cinp;
  const int swC = c.sw * c.cinp;
  // bf16 weights: [tap][cinp/2][coutp][2] -> a vector block starts at 2*16*v elements.
  const int welem = sizeof(T) == 2 ? 2 : 1;
  parallel_for(items, 1, [&](int64_t b, int64_t e) {
    for (int64_t it = b; it < e; ++it) {
      int64_t row = it / int64_t(blocks.size());
      auto [v0, nv] = blocks[size_t(it % int64_t(blocks.size()))];
      int nn = int(row / (int64_t(c.od) * c.oh));
      int rem = int(row % (int64_t(c.od) * c.oh));
      int od = rem / c.oh, oh = rem % c.oh;
      const T* xrow = xp + int64_t(nn) * c.dp * sD + int64_t(od) * c.sd * sD + int64_t(oh) * c.sh * sH;
      float* yrow = y + ((int64_t(nn) * c.od + od) * c.oh + oh) * c.ow * int64_t(c.cout) + 16 * v0;
      const T* wb = wpk + 16 * v0 * welem;
      int nvalid = c.cout - 16 * v0;
      const int rmax = rw_max(nv);
      auto full = tile_for<T>(nv, rmax);
      int o = 0;
      for (; o + rmax <= c.ow; o += rmax)
        full(xrow + int64_t(o) * swC, sD, sH, swC, c, wb, yrow + int64_t(o) * c.cout, nvalid);
      if (o < c.ow) {
        auto tail = tile_for<T>(nv, c.ow - o);
        tail(xrow + int64_t(o) * swC, sD, sH, swC, c, wb, yrow + int64_t(o) * c.cout, nvalid);
      }
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

// Runs the core forward with input buffer builder `fill(xp, cinp, round)`.
template <typename Fill, typename Src>
std::string run_forward(Core c, int cin, bool bf16, Fill fill, Src wsrc, float* y, const float* direct = nullptr) {
  const int taps = c.kd * c.kh * c.kw;
  c.coutp = round_up(c.cout, 16);
#if defined(__AVX512BF16__)
  if (bf16 && conv3d_bf16_dot_in_use()) {
    c.cinp = round_up(cin, 2);
    uint16_t* xp = scratch_as<uint16_t>(ScratchSlot::kInput, size_t(c.n) * c.dp * c.hp * c.wp * c.cinp);
    if (xp == nullptr) return "out of memory for the padded input";
    fill(xp, c.cinp);
    auto w = pack_w_bf16(taps, cin, c.cout, c.cinp, c.coutp, wsrc);
    core_forward<uint16_t>(c, xp, w.data(), y);
    return "";
  }
#endif
  c.cinp = cin;
  auto w = pack_w_f32(taps, cin, c.cout, c.cinp, c.coutp, bf16, wsrc);
  if (direct != nullptr && !bf16) {  // no padding needed: read the input in place
    core_forward<float>(c, direct, w.data(), y);
    return "";
  }
  float* xp = scratch_as<float>(ScratchSlot::kInput, size_t(c.n) * c.dp * c.hp * c.wp * c.cinp);
  if (xp == nullptr) return "out of memory for the padded input";
  fill(xp, c.cinp, bf16);
  core_forward<float>(c, xp, w.data(), y);
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

}  // namespace

// =================================================================== forward
std::string conv3d_forward(const Conv3DGeom& g, const float* x, const float* filter, float* y,
                           ConvPrecision p) {
  Core c{};
  c.n = g.n;
  c.kd = g.kd; c.kh = g.kh; c.kw = g.kw;
  c.sd = g.sd; c.sh = g.sh; c.sw = g.sw;
  c.od = g.od; c.oh = g.oh; c.ow = g.ow;
  c.dp = (g.od - 1) * g.sd + g.kd;
  c.hp = (g.oh - 1) * g.sh + g.kh;
  c.wp = (g.ow - 1) * g.sw + g.kw;
  c.cout = g.cout;
  if (int64_t(g.n) * g.od * g.oh * g.ow * g.cout == 0) return "";
  const bool bf16 = p == ConvPrecision::kBf16;
  if (conv3d_small_pointwise(g)) return pointwise_forward(g, x, filter, y, bf16);
  auto wsrc = [&](int t, int ci, int co) { return filter[(int64_t(t) * g.cin + ci) * g.cout + co]; };
  auto fill = [&](auto* xp, int cinp, bool round = false) {
    pad_copy(x, g.n, g.d, g.h, g.w, g.cin, xp, c.dp, c.hp, c.wp, cinp, g.pf, g.pt, g.pl, round);
  };
  // The unpadded input is already the buffer the core reads when nothing is padded
  // and no trailing rows are skipped.
  const bool in_place = g.pf == 0 && g.pt == 0 && g.pl == 0 && c.dp == g.d && c.hp == g.h && c.wp == g.w;
  return run_forward(c, g.cin, bf16, fill, wsrc, y, in_place ? x : nullptr);
}

// ================================================= strided input gradient
// With stride s the zero-dilated formulation below multiplies mostly zeros
// (7/8 of the work at stride 2 in 3D). Instead the input positions are split by
// phase r = (i + pad) mod s along each axis: the positions of one phase receive
// only the taps k = r + s*j, so each phase is a dense stride-1 convolution of dy
// with that sub-filter (flipped, transposed), written to a temporary and then
// scattered to its positions of dx.
namespace {
struct Phase1D {
  int q0 = 0, count = 0;  // input positions i = s*(q0+u) + r - pad, u in [0, count)
  int taps = 0;           // J = taps k = r + s*j of this phase
  int pad = 0;            // padding before dy for the stride-1 correlation
};

Phase1D phase_1d(int in, int out, int k, int s, int pad, int r) {
  Phase1D p;
  // smallest q with s*q + r - pad >= 0, largest with s*q + r - pad <= in - 1
  auto floor_div = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  const int qmin = -floor_div(r - pad, s);
  const int qmax = floor_div(in - 1 + pad - r, s);
  p.q0 = qmin;
  p.count = std::max(0, qmax - qmin + 1);
  p.taps = r < k ? (k - r + s - 1) / s : 0;
  p.pad = p.taps - 1 - qmin;
  (void)out;
  return p;
}
}  // namespace

static std::string backprop_input_phases(const Conv3DGeom& g, const float* dy, const float* filter, float* dx, bool bf16) {
  for (int rd = 0; rd < g.sd; ++rd)
    for (int rh = 0; rh < g.sh; ++rh)
      for (int rw = 0; rw < g.sw; ++rw) {
        const Phase1D pd = phase_1d(g.d, g.od, g.kd, g.sd, g.pf, rd);
        const Phase1D ph = phase_1d(g.h, g.oh, g.kh, g.sh, g.pt, rh);
        const Phase1D pw = phase_1d(g.w, g.ow, g.kw, g.sw, g.pl, rw);
        if (pd.count == 0 || ph.count == 0 || pw.count == 0) continue;
        const size_t pix = size_t(g.n) * pd.count * ph.count * pw.count;
        float* tmp = scratch_as<float>(ScratchSlot::kPartial, pix * size_t(g.cin));
        if (tmp == nullptr) return "out of memory for the input-gradient phase";
        if (pd.taps == 0 || ph.taps == 0 || pw.taps == 0) {
          std::memset(tmp, 0, sizeof(float) * pix * size_t(g.cin));
        } else {
          Core c{};
          c.n = g.n;
          c.kd = pd.taps; c.kh = ph.taps; c.kw = pw.taps;
          c.sd = c.sh = c.sw = 1;
          c.od = pd.count; c.oh = ph.count; c.ow = pw.count;
          c.dp = pd.count + pd.taps - 1;
          c.hp = ph.count + ph.taps - 1;
          c.wp = pw.count + pw.taps - 1;
          c.cout = g.cin;
          auto wsrc = [&](int t, int co, int ci) {
            // sub-filter tap (a,b,k), flipped, is the original tap r + s*(J-1-a) per axis
            const int a = t / (c.kh * c.kw), b = (t / c.kw) % c.kh, k = t % c.kw;
            const int od = rd + g.sd * (c.kd - 1 - a), oh = rh + g.sh * (c.kh - 1 - b), ow = rw + g.sw * (c.kw - 1 - k);
            const int src = (od * g.kh + oh) * g.kw + ow;
            return filter[(int64_t(src) * g.cin + ci) * g.cout + co];
          };
          auto fill = [&](auto* xp, int cinp, bool round = false) {
            pad_copy(dy, g.n, g.od, g.oh, g.ow, g.cout, xp, c.dp, c.hp, c.wp, cinp, pd.pad, ph.pad, pw.pad, round);
          };
          std::string err = run_forward(c, g.cout, bf16, fill, wsrc, tmp);
          if (!err.empty()) return err;
        }
        // scatter the phase into dx
        parallel_for(int64_t(g.n) * pd.count, 1, [&](int64_t b, int64_t e) {
          for (int64_t it = b; it < e; ++it) {
            const int nn = int(it / pd.count), u = int(it % pd.count);
            const int id = g.sd * (pd.q0 + u) + rd - g.pf;
            for (int v = 0; v < ph.count; ++v) {
              const int ih = g.sh * (ph.q0 + v) + rh - g.pt;
              const float* src = tmp + ((size_t(nn) * pd.count + u) * ph.count + v) * size_t(pw.count) * g.cin;
              for (int w = 0; w < pw.count; ++w) {
                const int iw = g.sw * (pw.q0 + w) + rw - g.pl;
                std::memcpy(dx + (((int64_t(nn) * g.d + id) * g.h + ih) * g.w + iw) * g.cin, src + size_t(w) * g.cin,
                            sizeof(float) * size_t(g.cin));
              }
            }
          }
        });
      }
  return "";
}

// ============================================================ input gradient
// dx = stride-1 valid conv of the zero-dilated, padded dy with the flipped,
// transposed filter (see the derivation in the header comment of this file).
std::string conv3d_backprop_input(const Conv3DGeom& g, const float* dy, const float* filter,
                                  float* dx, ConvPrecision p) {
  Core c{};
  c.n = g.n;
  c.kd = g.kd; c.kh = g.kh; c.kw = g.kw;
  c.sd = c.sh = c.sw = 1;
  c.od = g.d; c.oh = g.h; c.ow = g.w;
  c.dp = g.d + g.kd - 1;
  c.hp = g.h + g.kh - 1;
  c.wp = g.w + g.kw - 1;
  c.cout = g.cin;
  if (int64_t(g.n) * g.d * g.h * g.w * g.cin == 0) return "";
  const bool bf16 = p == ConvPrecision::kBf16;
  if (conv3d_small_pointwise(g)) return pointwise_backprop_input(g, dy, filter, dx, bf16);
  if (g.sd > 1 || g.sh > 1 || g.sw > 1) return backprop_input_phases(g, dy, filter, dx, bf16);
  auto wsrc = [&](int t, int co, int ci) {
    // tap t = (a,b,k) of the flipped filter reads (kd-1-a, kh-1-b, kw-1-k).
    int a = t / (g.kh * g.kw), b = (t / g.kw) % g.kh, k = t % g.kw;
    int src = ((g.kd - 1 - a) * g.kh + (g.kh - 1 - b)) * g.kw + (g.kw - 1 - k);
    return filter[(int64_t(src) * g.cin + ci) * g.cout + co];
  };
  auto fill = [&](auto* xp, int cinp, bool round = false) {
    using T = std::remove_pointer_t<decltype(xp)>;
    std::memset(xp, 0, sizeof(T) * size_t(c.n) * c.dp * c.hp * c.wp * cinp);
    const int od0 = g.kd - 1 - g.pf, oh0 = g.kh - 1 - g.pt, ow0 = g.kw - 1 - g.pl;
    parallel_for(int64_t(g.n) * g.od, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        int nn = int(i / g.od), o = int(i % g.od);
        int t = o * g.sd + od0;
        if (t < 0 || t >= c.dp) continue;
        for (int oh = 0; oh < g.oh; ++oh) {
          int th = oh * g.sh + oh0;
          if (th < 0 || th >= c.hp) continue;
          for (int ow = 0; ow < g.ow; ++ow) {
            int tw = ow * g.sw + ow0;
            if (tw < 0 || tw >= c.wp) continue;
            const float* s = dy + (((int64_t(nn) * g.od + o) * g.oh + oh) * g.ow + ow) * g.cout;
            T* d = xp + (((int64_t(nn) * c.dp + t) * c.hp + th) * c.wp + tw) * cinp;
            if constexpr (sizeof(T) == 2) {
              for (int k = 0; k < g.cout; ++k) d[k] = to_bf16_bits(s[k]);
            } else if (round) {
              round_bf16_copy(s, d, g.cout);
            } else {
              std::memcpy(d, s, sizeof(float) * size_t(g.cout));
            }
          }
        }
      }
    });
  };
  return run_forward(c, g.cout, bf16, fill, wsrc, dx);
}

// =========================================================== filter gradient
std::string conv3d_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy,
                                   float* dfilter, ConvPrecision p) {
  const int taps = g.kd * g.kh * g.kw;
  const size_t wsize = size_t(taps) * g.cin * g.cout;
  if (int64_t(g.n) * g.od * g.oh * g.ow == 0 || wsize == 0) {
    std::fill(dfilter, dfilter + wsize, 0.f);
    return "";
  }
  const bool round = p == ConvPrecision::kBf16;
  if (conv3d_small_pointwise(g)) return pointwise_backprop_filter(g, x, dy, dfilter, round);
  if (conv3d_filter_grad_c1(g)) return backprop_filter_c1(g, x, dy, dfilter, round);
  const int coutp = round_up(g.cout, 16);
  auto blocks = cout_blocks(coutp);
  const int cinp = round_up(g.cin, 4);
  const int dp = (g.od - 1) * g.sd + g.kd, hp = (g.oh - 1) * g.sh + g.kh, wp = (g.ow - 1) * g.sw + g.kw;
  float* xp = scratch_as<float>(ScratchSlot::kInput, size_t(g.n) * dp * hp * wp * cinp);
  // dy is read in place when its channels are already a multiple of 16 and nothing is rounded
  const bool dy_direct = g.cout == coutp && !round;
  float* dy_buf = dy_direct ? nullptr : scratch_as<float>(ScratchSlot::kGrad, size_t(g.n) * g.od * g.oh * g.ow * coutp);
  if (xp == nullptr || (!dy_direct && dy_buf == nullptr)) return "out of memory for the padded input and gradient";
  pad_copy(x, g.n, g.d, g.h, g.w, g.cin, xp, dp, hp, wp, cinp, g.pf, g.pt, g.pl, round);
  if (!dy_direct) pad_copy(dy, g.n, g.od, g.oh, g.ow, g.cout, dy_buf, g.od, g.oh, g.ow, coutp, 0, 0, 0, round);
  const float* dyp = dy_direct ? dy : dy_buf;

  const int64_t rows = int64_t(g.n) * g.od * g.oh;
  const int T = int(std::min<int64_t>(int64_t(num_threads()) * 4, rows));  // partial sums per chunk (taken dynamically)
  const size_t psize = size_t(taps) * cinp * coutp;
  float* partial = scratch_as<float>(ScratchSlot::kPartial, size_t(T) * psize);
  if (partial == nullptr) return "out of memory for the partial filter gradients";
  std::fill(partial, partial + size_t(T) * psize, 0.f);
  const int64_t sD = int64_t(hp) * wp * cinp, sH = int64_t(wp) * cinp;
  const int swC = g.sw * cinp;
  parallel_for(T, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      float* dw = partial + size_t(t) * psize;
      for (int64_t row = rows * t / T; row < rows * (t + 1) / T; ++row) {
        int nn = int(row / (int64_t(g.od) * g.oh));
        int rem = int(row % (int64_t(g.od) * g.oh));
        int od = rem / g.oh, oh = rem % g.oh;
        const float* xrow = xp + int64_t(nn) * dp * sD + int64_t(od) * g.sd * sD + int64_t(oh) * g.sh * sH;
        const float* dyrow = dyp + ((int64_t(nn) * g.od + od) * g.oh + oh) * g.ow * int64_t(coutp);
        for (int a = 0; a < g.kd; ++a)
          for (int b = 0; b < g.kh; ++b)
            for (int k = 0; k < g.kw; ++k) {
              const int tap = (a * g.kh + b) * g.kw + k;
              const float* xs = xrow + a * sD + b * sH + k * cinp;
              for (auto [v0, nv] : blocks) {
                const int rc = (nv <= 3 && cinp % 8 == 0) ? 8 : 4;
                auto tile = fgrad_for(rc, nv);
                for (int ci = 0; ci < cinp; ci += rc)
                  tile(xs + ci, swC, dyrow + 16 * v0, coutp, g.ow,
                       dw + (size_t(tap) * cinp + ci) * coutp + 16 * v0);
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
        const float* src = partial + size_t(t) * psize + (size_t(tap) * cinp + ci) * coutp;
        for (int co = 0; co < g.cout; ++co) out[co] += src[co];
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
