// AMX conv3d: every pass is a sum of tile products C[16x16 fp32] += A[16x32 bf16] * B[32x16 bf16].
//  - forward and input gradient: A rows are 16 output pixels of one row, read
//    straight from a bf16 copy of the (padded) input whose K run for one (depth,
//    height) tap is the kw*cp contiguous elements of the width taps; B is the
//    weights packed per 32-element K chunk in the pair-interleaved (VNNI) layout,
//    zero past the real K and output channels. The strided input gradient runs
//    by phases (each a stride-1 correlation with a sub-filter), like conv3d.cc.
//  - filter gradient: per tap, A = x transposed (input channels x output
//    pixels of a row, split by width phase for strides > 1), B = dy pair-
//    interleaved along the row (zero past its end), accumulated over row groups
//    into per-group partial filters that are summed at the end.
// Padding lanes multiply zero weights; a non-finite input would make them NaN,
// so the packers report one and the caller falls back to its own kernels.
#include "kernels/conv3d_amx.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/amx.h"

#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__x86_64__)
#define CLARA_AMX_ON 1
#include <immintrin.h>
#else
#define CLARA_AMX_ON 0
#endif

namespace clara {

// The tiles pay where the K side (the channels summed over: forward cin, input gradient
// cout) fills a good part of a 32-element chunk. Measured (1 thread, against the AVX-512
// kernels): input gradients with 1 or 2 output channels and 16-32 summed ones (a UNet's last
// transposed convolution) 1.7-3.3x, forward passes with 1-2 summed channels 0.15-0.75x, 8 -> 8
// channels forward and input gradient 1.7-2x. The filter gradient's tiles are input x output
// channels: at 8 of them (a quarter of each tile used) it ran 0.6-0.8x, at 16 1.8-2.5x; with
// the tiles narrowed to one block of each (tiles_on) stride 1 with 8 of them runs 1.1-1.4x
// (2x32^3 8 -> 8: 1.4x, 8 -> 16: 1.4x, 8 -> 32: 1.8x), stride 2 still 0.6-0.7x (2 threads).
bool conv3d_amx_takes_forward(const Conv3DGeom& g) { return CLARA_AMX_ON && g.cin >= 8 && g.cout >= 8; }
bool conv3d_amx_takes_backprop_input(const Conv3DGeom& g) { return CLARA_AMX_ON && g.cout >= 8; }
bool conv3d_amx_takes_backprop_filter(const Conv3DGeom& g) {
  const bool stride1 = g.sd == 1 && g.sh == 1 && g.sw == 1;
  return CLARA_AMX_ON && ((g.cin >= 16 && g.cout >= 16) || (stride1 && g.cin >= 8 && g.cout >= 8));
}

// The multiply-adds below which packing and tile setup cost more than the tile products save
// (1 thread and 2, against the fp32 kernels, 2-sample batches): 1x1x1 convolutions lose up to
// 2 M (0.6-0.8x) and only break even near 14 M (1.15x); 3x3x3 ones with 16+ channels on both
// sides win from 3.5 M (32 -> 32 on 4^3: 1.1-2.9x), narrower ones break even at 3.5 M (8 -> 16
// stride 2: 1.0-1.1x) and win from 7 M (8 -> 16 on 8^3: 1.5-2x); the input gradient into 1-7
// channels (where the fp32 kernels leave most of a vector empty) wins from 0.9 M (2 <- 16
// stride 2: 1.5x; 2 <- 8 at 0.4 M: 0.8x).
static bool amx_enough_work(const Conv3DGeom& g, bool input_gradient) {
  const int64_t macs = int64_t(g.n) * g.od * g.oh * g.ow * g.kd * g.kh * g.kw * g.cin * g.cout;
  const bool pointwise = g.kd * g.kh * g.kw == 1;
  const int64_t need = pointwise                     ? 8'000'000
                       : input_gradient && g.cin < 8 ? 800'000
                       : g.cin >= 16 && g.cout >= 16 ? 2'000'000
                                                     : 4'000'000;
  return macs >= need;
}
bool conv3d_amx_pays_forward(const Conv3DGeom& g) { return conv3d_amx_takes_forward(g) && amx_enough_work(g, false); }
bool conv3d_amx_pays_backprop_input(const Conv3DGeom& g) { return conv3d_amx_takes_backprop_input(g) && amx_enough_work(g, true); }
bool conv3d_amx_pays_backprop_filter(const Conv3DGeom& g) { return conv3d_amx_takes_backprop_filter(g) && amx_enough_work(g, false); }

#if CLARA_AMX_ON
namespace {

inline int round_up(int v, int m) { return (v + m - 1) / m * m; }
inline int ceil_div(int a, int b) { return (a + b - 1) / b; }

struct alignas(64) TileCfg {
  uint8_t palette, start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// Every tile 16 rows x 64 bytes: C 16x16 fp32, A 16 x 32 bf16, B 16 pairs x 16 x 2 bf16.
// Loaded by each worker at the start of its share of a call, released at its end. With
// `cols` < 16 (the forward engine when all output channels fit one block) the accumulators
// (tiles 0-3) and tile 6 (B) hold only `cols` columns: the products skip the zero columns and
// whole 16-pixel blocks are stored straight to y (no buffer and copy per row).
// The filter gradient with one block of each (input channels as rows, output channels as
// columns) narrows them the same way: `rows` < 16 for the accumulators and the A tiles (4, 5, 7).
void tiles_on(int cols = 16, int rows = 16) {
  TileCfg c;
  std::memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int i = 0; i < 8; ++i) {
    c.rows[i] = uint8_t(i == 6 ? 16 : rows);
    c.colsb[i] = uint16_t(i <= 3 || i == 6 ? 4 * cols : 64);
  }
  _tile_loadconfig(&c);
}
void tiles_off() { _tile_release(); }

// ------------------------------------------------------------------ bf16 packing
inline bool finite_bits(uint32_t u) { return (u & 0x7f800000u) != 0x7f800000u; }

#if defined(__AVX512F__)
// fp32 bits rounded to nearest even bf16, still in the upper half of each lane (finite input).
inline __m512i rnd(__m512i u) {
  const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff), top = _mm512_set1_epi32(int(0xffff0000u));
  return _mm512_and_si512(_mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(u, 16), one))), top);
}
#endif

#if defined(__AVX512F__)
// rnd() that keeps a NaN a (quiet) NaN: bf16 bits in the upper half of each lane.
inline __m512i rnd_nan(__m512i u) {
  const __m512i abs = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i quiet = _mm512_set1_epi32(0x00400000), top = _mm512_set1_epi32(int(0xffff0000u));
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs), inf);
  return _mm512_mask_mov_epi32(rnd(u), nan, _mm512_and_si512(_mm512_or_si512(u, quiet), top));
}
#endif

// hi[i] = bf16(s[i]), lo[i] = bf16(s[i] - hi[i]) when lo != nullptr (round to nearest even).
// Returns false when a value is not finite.
bool cvt_run(const float* s, uint16_t* hi, uint16_t* lo, int64_t n) {
  int64_t k = 0;
  bool ok = true;
#if defined(__AVX512F__)
  const __m512i expo = _mm512_set1_epi32(0x7f800000);
  __mmask16 bad = 0;
  for (; k + 16 <= n; k += 16) {
    const __m512i u = _mm512_loadu_si512(s + k);
    bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(u, expo), expo);
    const __m512i r = rnd(u);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi + k), _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)));
    if (lo != nullptr) {
      const __m512 d = _mm512_sub_ps(_mm512_castsi512_ps(u), _mm512_castsi512_ps(r));
      const __m512i r2 = rnd(_mm512_castps_si512(d));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo + k), _mm512_cvtepi32_epi16(_mm512_srli_epi32(r2, 16)));
    }
  }
  ok = bad == 0;
#endif
  for (; k < n; ++k) {
    uint32_t u;
    std::memcpy(&u, s + k, 4);
    ok = ok && finite_bits(u);
    hi[k] = to_bf16_bits(s[k]);
    if (lo != nullptr) lo[k] = to_bf16_bits(s[k] - round_bf16(s[k]));
  }
  return ok;
}

// A bf16 buffer (hi, and lo for the three-product mode) of a calling thread, kept between calls.
struct Buf {
  std::vector<uint16_t> v[2];
  uint16_t* hi = nullptr;
  uint16_t* lo = nullptr;
  bool get(size_t n, bool with_lo) {
    try {
      if (v[0].size() < n) v[0].resize(n);
      if (with_lo && v[1].size() < n) v[1].resize(n);
    } catch (const std::bad_alloc&) {
      return false;
    }
    hi = v[0].data();
    lo = with_lo ? v[1].data() : nullptr;
    return true;
  }
};

// The bf16 copy of a padded input: P[n][PD][PH][PW][cp] = src[n][d-bd][h-bh][w-bw][c]
// inside (c < C), 0 elsewhere.
struct PlaneSrc {
  const float* src;
  int n, D, H, W, C;
  int bd, bh, bw;
  int PD, PH, PW, cp;
  int64_t plane() const { return int64_t(PH) * PW * cp; }
};

// Plane d of batch item nn of P (hi, and lo when lo != nullptr). False when src holds a
// non-finite value there.
bool pack_plane(const PlaneSrc& q, int nn, int d, uint16_t* hi, uint16_t* lo) {
  bool good = true;
  const int64_t rowP = int64_t(q.PW) * q.cp;
  const int cp = q.cp, C = q.C, sd = d - q.bd;
  for (int h = 0; h < q.PH; ++h) {
    uint16_t* dh = hi + h * rowP;
    uint16_t* dl = lo ? lo + h * rowP : nullptr;
    const int sh = h - q.bh;
    if (sd < 0 || sd >= q.D || sh < 0 || sh >= q.H) {
      std::memset(dh, 0, size_t(rowP) * 2);
      if (dl) std::memset(dl, 0, size_t(rowP) * 2);
      continue;
    }
    const float* srow = q.src + ((int64_t(nn) * q.D + sd) * q.H + sh) * int64_t(q.W) * C;
    const int w0 = std::max(0, q.bw), w1 = std::min(q.PW, q.bw + q.W);  // P columns inside
    std::memset(dh, 0, size_t(w0) * cp * 2);
    if (dl) std::memset(dl, 0, size_t(w0) * cp * 2);
    if (w1 < q.PW) {
      std::memset(dh + int64_t(w1) * cp, 0, size_t(q.PW - w1) * cp * 2);
      if (dl) std::memset(dl + int64_t(w1) * cp, 0, size_t(q.PW - w1) * cp * 2);
    }
    if (w1 <= w0) continue;
    if (cp == C) {
      good &= cvt_run(srow + int64_t(w0 - q.bw) * C, dh + int64_t(w0) * cp, dl ? dl + int64_t(w0) * cp : nullptr,
                      int64_t(w1 - w0) * C);
    } else {
      for (int w = w0; w < w1; ++w) {
        good &= cvt_run(srow + int64_t(w - q.bw) * C, dh + int64_t(w) * cp, dl ? dl + int64_t(w) * cp : nullptr, C);
        for (int c = C; c < cp; ++c) {
          dh[int64_t(w) * cp + c] = 0;
          if (dl) dl[int64_t(w) * cp + c] = 0;
        }
      }
    }
  }
  return good;
}

// All of P (hi, lo) at once. False when src holds a non-finite value.
bool pack_padded(const PlaneSrc& q, uint16_t* hi, uint16_t* lo) {
  std::atomic<bool> ok{true};
  const int64_t pe = q.plane();
  parallel_for(int64_t(q.n) * q.PD, 1, [&](int64_t b, int64_t e) {
    bool good = true;
    for (int64_t i = b; i < e; ++i)
      good &= pack_plane(q, int(i / q.PD), int(i % q.PD), hi + i * pe, lo ? lo + i * pe : nullptr);
    if (!good) ok.store(false);
  });
  return ok.load();
}

// Weights for the forward engine: [ab][chunk][nb][16 pairs][16 cols][2]; K element
// kk = 32*chunk + 2*pair + e is width tap kk / cp, channel kk % cp. row(ab, k, ci) points
// at the `cout` output-channel values of that K element (contiguous). Each packed tile row
// (one pair, 16 columns) is two 16-float loads rounded and interleaved in registers.
template <class Row>
void pack_weights(int taps_ab, int kw, int cp, int cin, int cout, int nchunk, int NB, Row row, uint16_t* hi, uint16_t* lo) {
  parallel_for(int64_t(taps_ab) * nchunk, 1, [&](int64_t b, int64_t e) {
    const float* rows[32];
    for (int64_t i = b; i < e; ++i) {
      const int ab = int(i / nchunk), ch = int(i % nchunk);
      for (int j = 0; j < 32; ++j) {
        const int kk = 32 * ch + j, k = kk / cp, ci = kk % cp;
        rows[j] = k < kw && ci < cin ? row(ab, k, ci) : nullptr;
      }
      for (int nb = 0; nb < NB; ++nb) {
        uint16_t* dh = hi + (i * NB + nb) * 512;
        uint16_t* dl = lo ? lo + (i * NB + nb) * 512 : nullptr;
        const int c0 = 16 * nb, nc = std::min(16, cout - c0);
#if defined(__AVX512F__)
        const __mmask16 m = nc >= 16 ? __mmask16(0xffff) : __mmask16((1u << nc) - 1u);
        const __m512i top = _mm512_set1_epi32(int(0xffff0000u));
        for (int pr = 0; pr < 16; ++pr) {
          const float* r0 = rows[2 * pr];
          const float* r1 = rows[2 * pr + 1];
          const __m512 va = r0 ? _mm512_maskz_loadu_ps(m, r0 + c0) : _mm512_setzero_ps();
          const __m512 vb = r1 ? _mm512_maskz_loadu_ps(m, r1 + c0) : _mm512_setzero_ps();
          const __m512i ra = rnd_nan(_mm512_castps_si512(va)), rb = rnd_nan(_mm512_castps_si512(vb));
          _mm512_storeu_si512(dh + 32 * pr, _mm512_or_si512(_mm512_srli_epi32(ra, 16), rb));
          if (dl) {
            const __m512i la = rnd_nan(_mm512_castps_si512(_mm512_sub_ps(va, _mm512_castsi512_ps(ra))));
            const __m512i lb = rnd_nan(_mm512_castps_si512(_mm512_sub_ps(vb, _mm512_castsi512_ps(rb))));
            _mm512_storeu_si512(dl + 32 * pr, _mm512_or_si512(_mm512_srli_epi32(la, 16), _mm512_and_si512(lb, top)));
          }
        }
#else
        for (int pr = 0; pr < 16; ++pr)
          for (int col = 0; col < 16; ++col)
            for (int el = 0; el < 2; ++el) {
              const float* r = rows[2 * pr + el];
              const float v = r && col < nc ? r[c0 + col] : 0.f;
              const int o = (pr * 16 + col) * 2 + el;
              dh[o] = to_bf16_bits(v);
              if (dl) dl[o] = to_bf16_bits(v - round_bf16(v));
            }
#endif
      }
    }
  });
}

// ------------------------------------------------------------ forward engine
// y[n, o] = sum over taps (a, b, k) and channels of P[n, od*sd+a+offd, oh*sh+b+offh, ow*sw+k+offw, :] * W.
// P is either packed whole beforehand (P[0], P[1]) or, with ring != nullptr, converted
// plane by plane into a per-thread ring as the output planes reach it (read from
// memory once, kept in cache, no full bf16 copy written and read back).
struct Plan {
  const uint16_t* P[2];
  const PlaneSrc* ring;
  const uint16_t* W[2];
  int terms;  // 1: hi*hi; 3: + hi*lo + lo*hi
  int64_t pN, pD, pH;
  int cp;
  int n, OD, OH, OW;
  int sd, sh, sw, offd, offh, offw;
  int kd, kh, kw, nchunk, NB;
  int cout;
  float* y;
  int64_t yN, yD, yH, yW;
};

// MT output-pixel blocks (16 pixels each) x NT output-channel blocks from nb0 of one
// output plane. planes[a] (hi) and planes[kd + a] (lo) are the P planes of depth tap a;
// moff[m] the block's first pixel within a plane.
template <int MT, int NT>
void fwd_block(const Plan& p, const uint16_t* const* planes, const int64_t* moff, int nb0, float* const* yout, const int* mvalid) {
  static_assert(MT * NT <= 4, "four accumulator tiles");
  _tile_zero(0);
  if constexpr (MT * NT > 1) _tile_zero(1);
  if constexpr (MT * NT > 2) _tile_zero(2);
  if constexpr (MT * NT > 3) _tile_zero(3);
  const int64_t astride = int64_t(p.sw) * p.cp * 2;
  for (int a = 0; a < p.kd; ++a)
    for (int b = 0; b < p.kh; ++b) {
      const int64_t wab = int64_t(a * p.kh + b) * p.nchunk;
      for (int ch = 0; ch < p.nchunk; ++ch)
        for (int t = 0; t < p.terms; ++t) {
          const uint16_t* Pt = planes[(t == 2 ? p.kd : 0) + a] + b * p.pH + 32 * ch;
          const uint16_t* wb = p.W[t == 1 ? 1 : 0] + ((wab + ch) * p.NB + nb0) * 512;
          _tile_loadd(6, wb, 64);
          if constexpr (NT == 2) _tile_loadd(7, wb + 512, 64);
          if constexpr (NT == 1) {
            _tile_loadd(4, Pt + moff[0], astride);
            _tile_dpbf16ps(0, 4, 6);
            if constexpr (MT > 1) {
              _tile_loadd(5, Pt + moff[1], astride);
              _tile_dpbf16ps(1, 5, 6);
            }
            if constexpr (MT > 2) {
              _tile_loadd(7, Pt + moff[2], astride);
              _tile_dpbf16ps(2, 7, 6);
            }
            if constexpr (MT > 3) {
              _tile_loadd(4, Pt + moff[3], astride);
              _tile_dpbf16ps(3, 4, 6);
            }
          } else {
            _tile_loadd(4, Pt + moff[0], astride);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(1, 4, 7);
            if constexpr (MT > 1) {
              _tile_loadd(5, Pt + moff[1], astride);
              _tile_dpbf16ps(2, 5, 6);
              _tile_dpbf16ps(3, 5, 7);
            }
          }
        }
    }
  // A whole 16 x 16 block goes straight to y; a partial one (last pixels of a row, last
  // channels) through a buffer. (The tile number must be a literal: the intrinsics paste it.)
  alignas(64) float buf[4][256];
  bool direct[4];
  for (int i = 0; i < MT * NT; ++i) {
    const int m = NT == 1 ? i : i / 2, nt = NT == 1 ? 0 : i % 2;
    direct[i] = mvalid[m] == 16 && (p.cout - 16 * (nb0 + nt) >= 16 || p.NB == 1);  // NB 1: narrow tiles (run_plan)
  }
  const int64_t ys = p.yW * 4;
#define CLARA_STORE_C(T, M, NTI)                                                   \
  if (direct[T]) _tile_stored(T, yout[M] + 16 * (nb0 + (NTI)), ys);                \
  else _tile_stored(T, buf[T], 64);
  CLARA_STORE_C(0, 0, 0)
  if constexpr (MT * NT > 1) { CLARA_STORE_C(1, NT == 1 ? 1 : 0, NT == 1 ? 0 : 1) }
  if constexpr (MT * NT > 2) { CLARA_STORE_C(2, NT == 1 ? 2 : 1, 0) }
  if constexpr (MT * NT > 3) { CLARA_STORE_C(3, NT == 1 ? 3 : 1, NT == 1 ? 0 : 1) }
#undef CLARA_STORE_C
  for (int m = 0; m < MT; ++m)
    for (int nt = 0; nt < NT; ++nt) {
      const int i = NT == 1 ? m : 2 * m + nt;
      if (direct[i]) continue;
      const float* s = buf[i];
      const int c0 = 16 * (nb0 + nt), nc = std::min(16, p.cout - c0);
      if (nc <= 0) continue;
      for (int r = 0; r < mvalid[m]; ++r) std::memcpy(yout[m] + r * p.yW + c0, s + 16 * r, size_t(nc) * 4);
    }
}

using FwdBlock = void (*)(const Plan&, const uint16_t* const*, const int64_t*, int, float* const*, const int*);

// Per-thread ring of converted P planes: plane (nn, d) lives in slot d % slots.
struct Ring {
  std::vector<uint16_t> hi, lo;
  std::vector<int64_t> tag;
  int slots = 0;
  int64_t pe = 0;
  void reset(int s, int64_t plane_elems, size_t slack, bool with_lo) {
    slots = s;
    pe = plane_elems;
    const size_t need = size_t(s) * size_t(pe) + slack;
    if (hi.size() < need) hi.resize(need);  // zero-filled when grown: the slack stays finite
    if (with_lo && lo.size() < need) lo.resize(need);
    tag.assign(size_t(s), -1);
  }
};

// False when a non-finite value was met (the outputs are then incomplete).
bool run_plan(const Plan& p) {
  static const FwdBlock one[5] = {nullptr, &fwd_block<1, 1>, &fwd_block<2, 1>, &fwd_block<3, 1>, &fwd_block<4, 1>};
  static const FwdBlock two[3] = {nullptr, &fwd_block<1, 2>, &fwd_block<2, 2>};
  const int OWb = ceil_div(p.OW, 16);
  const int R = std::max(1, std::min(p.OH, 4 / std::max(1, OWb)));  // output rows per work item
  const int OHg = ceil_div(p.OH, R);
  const bool three = p.terms == 3;
  std::atomic<bool> ok{true};
  parallel_for(int64_t(p.n) * p.OD * OHg, 1, [&](int64_t b, int64_t e) {
    thread_local Ring ring;
    if (p.ring) ring.reset(p.kd + p.sd, p.ring->plane(), size_t(16 * p.sw + p.kw + 2) * p.cp + 128, three);
    tiles_on(p.NB == 1 ? p.cout : 16);
    std::vector<int64_t> moff;
    std::vector<float*> yo;
    std::vector<int> mv;
    std::vector<const uint16_t*> planes(size_t(2 * p.kd));
    bool good = true;
    for (int64_t i = b; i < e && good; ++i) {
      const int nn = int(i / (int64_t(p.OD) * OHg)), od = int(i / OHg % p.OD), g = int(i % OHg);
      for (int a = 0; a < p.kd; ++a) {
        const int d = od * p.sd + p.offd + a;
        if (p.ring == nullptr) {
          planes[size_t(a)] = p.P[0] + nn * p.pN + d * p.pD;
          planes[size_t(p.kd + a)] = three ? p.P[1] + nn * p.pN + d * p.pD : nullptr;
          continue;
        }
        const size_t slot = size_t(d % ring.slots);
        uint16_t* h = ring.hi.data() + slot * size_t(ring.pe);
        uint16_t* l = three ? ring.lo.data() + slot * size_t(ring.pe) : nullptr;
        const int64_t tag = int64_t(nn) * p.ring->PD + d;
        if (ring.tag[slot] != tag) {
          ring.tag[slot] = tag;
          if (!pack_plane(*p.ring, nn, d, h, l)) {
            // keep the ring finite for later calls (tile rows read past a plane's end)
            std::memset(h, 0, size_t(ring.pe) * 2);
            if (l) std::memset(l, 0, size_t(ring.pe) * 2);
            ring.tag[slot] = -1;
            good = false;
          }
        }
        planes[size_t(a)] = h;
        planes[size_t(p.kd + a)] = l;
      }
      moff.clear();
      yo.clear();
      mv.clear();
      for (int oh = g * R; oh < std::min(p.OH, g * R + R); ++oh)
        for (int ob = 0; ob < OWb; ++ob) {
          moff.push_back(int64_t(oh * p.sh + p.offh) * p.pH + int64_t(16 * ob * p.sw + p.offw) * p.cp);
          yo.push_back(p.y + nn * p.yN + od * p.yD + oh * p.yH + 16 * ob * p.yW);
          mv.push_back(std::min(16, p.OW - 16 * ob));
        }
      const int nm = int(moff.size());
      for (int nb0 = 0; nb0 < p.NB;) {
        const int nt = p.NB - nb0 >= 2 ? 2 : 1, mt_max = nt == 2 ? 2 : 4;
        for (int m0 = 0; m0 < nm; m0 += mt_max) {
          const int mt = std::min(mt_max, nm - m0);
          (nt == 2 ? two : one)[mt](p, planes.data(), moff.data() + m0, nb0, yo.data() + m0, mv.data() + m0);
        }
        nb0 += nt;
      }
    }
    tiles_off();
    if (!good) ok.store(false);
  });
  return ok.load();
}

}  // namespace

static bool forward_run(const Conv3DGeom& g, const float* x, const float* filter, float* y, int terms, std::string* err) {
  const bool three = terms == 3;
  const int cp = round_up(g.cin, 2);
  const int PD = (g.od - 1) * g.sd + g.kd, PH = (g.oh - 1) * g.sh + g.kh, PW = (g.ow - 1) * g.sw + g.kw;
  const int64_t pH = int64_t(PW) * cp, pD = pH * PH, pN = pD * PD;
  thread_local Buf W;
  const int nchunk = ceil_div(g.kw * cp, 32), NB = ceil_div(g.cout, 16);
  const size_t wsz = size_t(g.kd) * g.kh * nchunk * NB * 512;
  if (!W.get(wsz, three)) {
    *err = "out of memory for the AMX operands";
    return false;
  }
  // x is converted plane by plane as the output planes reach it (Plan::ring)
  const PlaneSrc src{x, g.n, g.d, g.h, g.w, g.cin, g.pf, g.pt, g.pl, PD, PH, PW, cp};
  pack_weights(g.kd * g.kh, g.kw, cp, g.cin, g.cout, nchunk, NB,
               [&](int ab, int k, int ci) { return filter + ((int64_t(ab) * g.kw + k) * g.cin + ci) * g.cout; }, W.hi, W.lo);
  Plan p{};
  p.ring = &src;
  p.W[0] = W.hi; p.W[1] = W.lo;
  p.terms = three ? 3 : 1;
  p.pN = pN; p.pD = pD; p.pH = pH; p.cp = cp;
  p.n = g.n; p.OD = g.od; p.OH = g.oh; p.OW = g.ow;
  p.sd = g.sd; p.sh = g.sh; p.sw = g.sw;
  p.kd = g.kd; p.kh = g.kh; p.kw = g.kw; p.nchunk = nchunk; p.NB = NB;
  p.cout = g.cout;
  p.y = y;
  p.yW = g.cout; p.yH = int64_t(g.ow) * g.cout; p.yD = p.yH * g.oh; p.yN = p.yD * g.od;
  return run_plan(p);
}

static bool backprop_input_run(const Conv3DGeom& g, const float* dy, const float* filter, float* dx, int terms, std::string* err) {
  const bool three = terms == 3;
  const int cp = round_up(g.cout, 2);
  // phases per axis and the padding of dy that covers every phase's reads
  std::vector<Conv3DPhase> ph[3];
  const int in[3] = {g.d, g.h, g.w}, kk[3] = {g.kd, g.kh, g.kw}, ss[3] = {g.sd, g.sh, g.sw}, pp[3] = {g.pf, g.pt, g.pl};
  const int on[3] = {g.od, g.oh, g.ow};
  int before[3], len[3];
  for (int ax = 0; ax < 3; ++ax) {
    int lo = 0, hi = on[ax] - 1;
    for (int r = 0; r < ss[ax]; ++r) {
      const Conv3DPhase q = conv3d_phase(in[ax], kk[ax], ss[ax], pp[ax], r);
      ph[ax].push_back(q);
      if (q.count == 0 || q.taps == 0) continue;
      lo = std::min(lo, -q.pad);
      hi = std::max(hi, q.count - 1 + q.taps - 1 - q.pad);
    }
    before[ax] = -lo;
    len[ax] = hi - lo + 1;
  }
  const int64_t pH = int64_t(len[2]) * cp, pD = pH * len[1], pN = pD * len[0];
  thread_local Buf P, W;
  const PlaneSrc src{dy, g.n, g.od, g.oh, g.ow, g.cout, before[0], before[1], before[2], len[0], len[1], len[2], cp};
  // stride 1 (one phase): dy converted plane by plane into the workers' rings, like the
  // forward input; strided: packed once for all the phases that read it
  const bool one_phase = g.sd == 1 && g.sh == 1 && g.sw == 1;
  if (!one_phase) {
    const size_t slack = size_t(16 + g.kw + 2) * cp + 128;
    if (!P.get(size_t(pN) * g.n + slack, three)) {
      *err = "out of memory for the AMX operands";
      return false;
    }
    std::memset(P.hi + pN * g.n, 0, slack * 2);
    if (three) std::memset(P.lo + pN * g.n, 0, slack * 2);
    if (!pack_padded(src, P.hi, P.lo)) return false;
  }
  // the filter with each tap's [cin][cout] transposed to [cout][cin] (fp32): the packed
  // weights' rows (one K element = an output channel of the filter) are then contiguous
  thread_local std::vector<float> wtv;
  const int taps = g.kd * g.kh * g.kw;
  try {
    if (wtv.size() < size_t(taps) * g.cin * g.cout) wtv.resize(size_t(taps) * g.cin * g.cout);
  } catch (const std::bad_alloc&) {
    *err = "out of memory for the AMX operands";
    return false;
  }
  float* const wt = wtv.data();
  parallel_for(taps, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const float* src = filter + t * g.cin * g.cout;
      float* dst = wt + t * g.cin * g.cout;
      for (int c0 = 0; c0 < g.cin; c0 += 16)
        for (int o0 = 0; o0 < g.cout; o0 += 16)
          for (int ci = c0; ci < std::min(g.cin, c0 + 16); ++ci)
            for (int co = o0; co < std::min(g.cout, o0 + 16); ++co) dst[int64_t(co) * g.cin + ci] = src[int64_t(ci) * g.cout + co];
    }
  });
  const int64_t xW = g.cin, xH = int64_t(g.w) * xW, xD = int64_t(g.h) * xH, xN = int64_t(g.d) * xD;
  for (int rd = 0; rd < g.sd; ++rd)
    for (int rh = 0; rh < g.sh; ++rh)
      for (int rw = 0; rw < g.sw; ++rw) {
        const Conv3DPhase& a = ph[0][size_t(rd)];
        const Conv3DPhase& b = ph[1][size_t(rh)];
        const Conv3DPhase& c = ph[2][size_t(rw)];
        if (a.count == 0 || b.count == 0 || c.count == 0) continue;
        const int id0 = g.sd * a.q0 + rd - g.pf, ih0 = g.sh * b.q0 + rh - g.pt, iw0 = g.sw * c.q0 + rw - g.pl;
        float* y = dx + id0 * xD + ih0 * xH + iw0 * xW;
        const int64_t yW = int64_t(g.sw) * xW, yH = int64_t(g.sh) * xH, yD = int64_t(g.sd) * xD;
        if (a.taps == 0 || b.taps == 0 || c.taps == 0) {  // no tap reaches these positions
          for (int nn = 0; nn < g.n; ++nn)
            for (int u = 0; u < a.count; ++u)
              for (int v = 0; v < b.count; ++v)
                for (int w = 0; w < c.count; ++w)
                  std::memset(y + nn * xN + u * yD + v * yH + w * yW, 0, size_t(g.cin) * 4);
          continue;
        }
        const int nchunk = ceil_div(c.taps * cp, 32), NB = ceil_div(g.cin, 16);
        if (!W.get(size_t(a.taps) * b.taps * nchunk * NB * 512, three)) {
          *err = "out of memory for the AMX operands";
          return false;
        }
        // sub-filter tap (i, j, k), flipped, is the original tap r + s*(taps-1-i) per axis; the
        // correlation's input channels are the filter's outputs and its outputs the filter's inputs
        pack_weights(a.taps * b.taps, c.taps, cp, g.cout, g.cin, nchunk, NB,
                     [&](int ab, int k, int co) {
                       const int i = ab / b.taps, j = ab % b.taps;
                       const int td = rd + g.sd * (a.taps - 1 - i), th = rh + g.sh * (b.taps - 1 - j), tw = rw + g.sw * (c.taps - 1 - k);
                       return wt + ((int64_t(td * g.kh + th) * g.kw + tw) * g.cout + co) * g.cin;
                     },
                     W.hi, W.lo);
        Plan p{};
        p.P[0] = P.hi; p.P[1] = P.lo; p.W[0] = W.hi; p.W[1] = W.lo;
        p.ring = one_phase ? &src : nullptr;
        p.terms = three ? 3 : 1;
        p.pN = pN; p.pD = pD; p.pH = pH; p.cp = cp;
        p.n = g.n; p.OD = a.count; p.OH = b.count; p.OW = c.count;
        p.sd = p.sh = p.sw = 1;
        p.offd = before[0] - a.pad; p.offh = before[1] - b.pad; p.offw = before[2] - c.pad;
        p.kd = a.taps; p.kh = b.taps; p.kw = c.taps; p.nchunk = nchunk; p.NB = NB;
        p.cout = g.cin;
        p.y = y;
        p.yN = xN; p.yD = yD; p.yH = yH; p.yW = yW;
        if (!run_plan(p)) return false;
      }
  return true;
}

namespace {

// ------------------------------------------------------------ filter gradient
// The filter gradient's tile work, MT x NT accumulator tiles (C 0..3): start (zero, or go on
// from partial sums at dst), add K chunks, store back. dst rows are `ld` floats apart.
// fgrad_c_tiles loads or stores them (the tile number must be a literal: the intrinsics paste it).
template <int MT, int NT, bool Store>
inline void fgrad_c_tiles(float* dst, int64_t ld) {
#define CLARA_C_TILE(T, P)               \
  if constexpr (Store) _tile_stored(T, P, ld * 4); \
  else _tile_loadd(T, P, ld * 4);
  CLARA_C_TILE(0, dst)
  if constexpr (NT == 2) { CLARA_C_TILE(1, dst + 16) }
  if constexpr (MT == 2) {
    if constexpr (NT == 2) {
      CLARA_C_TILE(2, dst + 16 * ld)
      CLARA_C_TILE(3, dst + 16 * ld + 16)
    } else {
      CLARA_C_TILE(1, dst + 16 * ld)
    }
  }
#undef CLARA_C_TILE
}

template <int MT, int NT>
inline void fgrad_start(float* dst, int64_t ld, bool first) {
  if (!first) return fgrad_c_tiles<MT, NT, false>(dst, ld);
  _tile_zero(0);
  if constexpr (MT * NT > 1) _tile_zero(1);
  if constexpr (MT * NT > 2) _tile_zero(2);
  if constexpr (MT * NT > 3) _tile_zero(3);
}

template <int MT, int NT>
inline void fgrad_store(float* dst, int64_t ld) {
  fgrad_c_tiles<MT, NT, true>(dst, ld);
}

// nch K chunks: A[t] + 32*ch (16 rows of lda elements; the second row block 16*lda further),
// B[t] + ch*bstep (16 pair rows of ldb elements; the second column block 32 further).
// terms 3: hi*hi + hi*lo + lo*hi (A[1], B[1] the lo parts).
template <int MT, int NT>
inline void fgrad_chunks(const uint16_t* const* A, int64_t lda, const uint16_t* const* B, int64_t ldb, int64_t bstep, int nch, int terms) {
  for (int ch = 0; ch < nch; ++ch)
    for (int t = 0; t < terms; ++t) {
      const uint16_t* a = A[t == 2 ? 1 : 0] + 32 * ch;
      const uint16_t* b = B[t == 1 ? 1 : 0] + ch * bstep;
      _tile_loadd(6, b, ldb * 2);
      if constexpr (NT == 2) _tile_loadd(7, b + 32, ldb * 2);
      _tile_loadd(4, a, lda * 2);
      _tile_dpbf16ps(0, 4, 6);
      if constexpr (NT == 2) _tile_dpbf16ps(1, 4, 7);
      if constexpr (MT == 2) {
        _tile_loadd(5, a + 16 * lda, lda * 2);
        if constexpr (NT == 2) {
          _tile_dpbf16ps(2, 5, 6);
          _tile_dpbf16ps(3, 5, 7);
        } else {
          _tile_dpbf16ps(1, 5, 6);
        }
      }
    }
}


}  // namespace

namespace {

// One row of x (W pixels x C channels, fp32) into its transposed bf16 planes:
// out[ph][c][q] = x column q*sw + ph - pl (0 outside the row) for q < PWq, channels `cs`
// elements apart, each plane `xplane` elements apart. False on a non-finite value.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
// 16 x 16 fp32 transpose in registers: four butterfly stages, each swapping the off-diagonal
// s x s blocks of every 2s x 2s block (s = 8, 4, 2, 1) with two-source lane permutes.
struct TransposeIdx {
  alignas(64) int v[4][2][16];
};
constexpr TransposeIdx make_transpose_idx() {
  TransposeIdx t{};
  for (int k = 0; k < 4; ++k)
    for (int l = 0, s = 8 >> k; l < 16; ++l) {
      t.v[k][0][l] = (l & s) ? 16 + l - s : l;
      t.v[k][1][l] = (l & s) ? 16 + l : l + s;
    }
  return t;
}
constexpr TransposeIdx kTransposeIdx = make_transpose_idx();

template <int K>
inline void transpose_stage(__m512 r[16]) {
  constexpr int s = 8 >> K;
  const __m512i il = _mm512_load_si512(kTransposeIdx.v[K][0]), ih = _mm512_load_si512(kTransposeIdx.v[K][1]);
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) {
    if (i & s) continue;
    const __m512 a = r[i], b = r[i + s];
    r[i] = _mm512_permutex2var_ps(a, il, b);
    r[i + s] = _mm512_permutex2var_ps(a, ih, b);
  }
}

// Channels [c0, c0 + 16) of the 16 pixels w0, w0 + sw, ... of a row (zero outside [0, W) and
// past C), transposed: r[c] holds channel c0 + c of the 16 pixels.
inline void load_transposed(const float* srow, int W, int C, int w0, int sw, int c0, __m512 r[16]) {
  const __mmask16 m = C - c0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (C - c0)) - 1u);
#pragma GCC unroll 16
  for (int l = 0; l < 16; ++l) {
    const int w = w0 + l * sw;
    r[l] = _mm512_maskz_loadu_ps(w >= 0 && w < W ? m : __mmask16(0), srow + int64_t(std::min(std::max(w, 0), W - 1)) * C + c0);
  }
  transpose_stage<0>(r);
  transpose_stage<1>(r);
  transpose_stage<2>(r);
  transpose_stage<3>(r);
}

// 16 values to bf16 (hi, and lo = bf16(v - hi) when dl) stored under mask st (unmasked when
// full); the largest exponent field seen goes into `expo_max` (0x7f800000 there: non-finite).
// With AVX512-BF16, vcvtneps2bf16 rounds to nearest even like rnd() (and flushes denormals,
// below 1.2e-38, to zero).
inline void store_bf16(__m512 v, uint16_t* dh, uint16_t* dl, __mmask16 st, __m512i& expo_max) {
  const __m512i expo = _mm512_set1_epi32(0x7f800000);
  expo_max = _mm512_max_epu32(expo_max, _mm512_and_si512(_mm512_castps_si512(v), expo));
#if defined(__AVX512BF16__)
  const __m256i h = (__m256i)_mm512_cvtneps_pbh(v);
  __m512 hv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
#else
  const __m512i r = rnd(_mm512_castps_si512(v));
  const __m256i h = _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
  __m512 hv = _mm512_castsi512_ps(r);
#endif
  if (st == 0xffff) _mm256_storeu_si256(reinterpret_cast<__m256i*>(dh), h);
  else _mm256_mask_storeu_epi16(dh, st, h);
  if (dl != nullptr) {
    const __m512i r2 = rnd(_mm512_castps_si512(_mm512_sub_ps(v, hv)));
    _mm256_mask_storeu_epi16(dl, st, _mm512_cvtepi32_epi16(_mm512_srli_epi32(r2, 16)));
  }
}
#endif

bool transpose_row(const float* srow, int W, int C, int pl, int sw, int PWq, int64_t cs, int64_t xplane, uint16_t* hi, uint16_t* lo) {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
  if (sw <= 2) {  // 16 x 16 blocks (16 pixels of one phase x 16 channels) transposed in registers
    __m512i emax = _mm512_setzero_si512();
    __m512 r[16];
    for (int ph = 0; ph < sw; ++ph)
      for (int q0 = 0; q0 < PWq; q0 += 16) {
        const __mmask16 st = PWq - q0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (PWq - q0)) - 1u);
        for (int c0 = 0; c0 < C; c0 += 16) {
          load_transposed(srow, W, C, q0 * sw + ph - pl, sw, c0, r);
          const int nc = std::min(16, C - c0);
          for (int c = 0; c < nc; ++c) {
            const int64_t o = ph * xplane + int64_t(c0 + c) * cs + q0;
            store_bf16(r[c], hi + o, lo ? lo + o : nullptr, st, emax);
          }
        }
      }
    return _mm512_cmpeq_epi32_mask(emax, _mm512_set1_epi32(0x7f800000)) == 0;
  }
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i expo = _mm512_set1_epi32(0x7f800000);
  __mmask16 bad = 0;
  for (int ph = 0; ph < sw; ++ph)
    for (int q0 = 0; q0 < PWq; q0 += 16) {
      const __m512i q = _mm512_add_epi32(_mm512_set1_epi32(q0), iota);
      const __m512i col = _mm512_add_epi32(_mm512_mullo_epi32(q, _mm512_set1_epi32(sw)), _mm512_set1_epi32(ph - pl));
      const __mmask16 st = _mm512_cmplt_epi32_mask(q, _mm512_set1_epi32(PWq));
      const __mmask16 in = st & _mm512_cmpge_epi32_mask(col, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32(W));
      const __m512i idx = _mm512_mullo_epi32(col, _mm512_set1_epi32(C));
      for (int c = 0; c < C; ++c) {
        const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), in, idx, srow + c, 4);
        const __m512i u = _mm512_castps_si512(v);
        bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(u, expo), expo);
        const __m512i r = rnd(u);
        const int64_t o = ph * xplane + int64_t(c) * cs + q0;
        _mm256_mask_storeu_epi16(hi + o, st, _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16)));
        if (lo != nullptr) {
          const __m512i r2 = rnd(_mm512_castps_si512(_mm512_sub_ps(v, _mm512_castsi512_ps(r))));
          _mm256_mask_storeu_epi16(lo + o, st, _mm512_cvtepi32_epi16(_mm512_srli_epi32(r2, 16)));
        }
      }
    }
  return bad == 0;
#else
  bool good = true;
  for (int ph = 0; ph < sw; ++ph)
    for (int c = 0; c < C; ++c)
      for (int q = 0; q < PWq; ++q) {
        const int col = q * sw + ph - pl;
        const float v = col >= 0 && col < W ? srow[int64_t(col) * C + c] : 0.f;
        uint32_t u;
        std::memcpy(&u, &v, 4);
        good = good && finite_bits(u);
        const int64_t o = ph * xplane + int64_t(c) * cs + q;
        hi[o] = to_bf16_bits(v);
        if (lo != nullptr) lo[o] = to_bf16_bits(v - round_bf16(v));
      }
  return good;
#endif
}

// One row of dy (ow pixels x C channels) pair-interleaved: out[w/2][c][w%2] for c < coP
// (coP % 16 == 0; zero past C and past the row up to OWp pixels). False on a non-finite value.
bool interleave_row(const float* drow, int ow, int C, int OWp, int coP, uint16_t* hi, uint16_t* lo) {
#if defined(__AVX512F__)
  const __m512i expo = _mm512_set1_epi32(0x7f800000), top = _mm512_set1_epi32(int(0xffff0000u));
  __mmask16 bad = 0;
  for (int w = 0; w < ow; w += 2)
    for (int c0 = 0; c0 < coP; c0 += 16) {
      const __mmask16 m = C - c0 >= 16 ? __mmask16(0xffff) : C > c0 ? __mmask16((1u << (C - c0)) - 1u) : __mmask16(0);
      const __m512i ua = _mm512_maskz_loadu_epi32(m, drow + int64_t(w) * C + c0);
      const __m512i ub = w + 1 < ow ? _mm512_maskz_loadu_epi32(m, drow + int64_t(w + 1) * C + c0) : _mm512_setzero_si512();
      bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(ua, expo), expo) | _mm512_cmpeq_epi32_mask(_mm512_and_si512(ub, expo), expo);
      const __m512i ra = rnd(ua), rb = rnd(ub);
      const int64_t o = (int64_t(w / 2) * coP + c0) * 2;
      _mm512_storeu_si512(hi + o, _mm512_or_si512(_mm512_srli_epi32(ra, 16), rb));
      if (lo != nullptr) {
        const __m512i la = rnd(_mm512_castps_si512(_mm512_sub_ps(_mm512_castsi512_ps(ua), _mm512_castsi512_ps(ra))));
        const __m512i lb = rnd(_mm512_castps_si512(_mm512_sub_ps(_mm512_castsi512_ps(ub), _mm512_castsi512_ps(rb))));
        _mm512_storeu_si512(lo + o, _mm512_or_si512(_mm512_srli_epi32(la, 16), _mm512_and_si512(lb, top)));
      }
    }
  const int64_t done = int64_t((ow + 1) / 2) * coP * 2, all = int64_t(OWp) * coP;
  std::memset(hi + done, 0, size_t(all - done) * 2);
  if (lo != nullptr) std::memset(lo + done, 0, size_t(all - done) * 2);
  return bad == 0;
#else
  bool good = true;
  std::memset(hi, 0, size_t(OWp) * coP * 2);
  if (lo != nullptr) std::memset(lo, 0, size_t(OWp) * coP * 2);
  for (int w = 0; w < ow; ++w)
    for (int c = 0; c < C; ++c) {
      const float v = drow[int64_t(w) * C + c];
      uint32_t u;
      std::memcpy(&u, &v, 4);
      good = good && finite_bits(u);
      const int64_t o = (int64_t(w / 2) * coP + c) * 2 + (w & 1);
      hi[o] = to_bf16_bits(v);
      if (lo != nullptr) lo[o] = to_bf16_bits(v - round_bf16(v));
    }
  return good;
#endif
}

}  // namespace

namespace {

// ------------------------------------------------------ filter gradient: K over planes
// x is split by height and width phase (h % sh, w % sw) and transposed per (n, padded depth,
// phases) plane to [cin][XS], rows PWq apart; the output pixels of one (n, od) plane are taken
// on that row pitch (dy zero in the extra columns). Then for tap (a, b, k) the x values of
// flat output index j = oh*PWq + ow sit at j + (b/sh)*PWq + k/sw of the plane of phases
// (b % sh, k % sw) at depth od*sd + a: a tile's 32 K elements run across rows, and narrow
// rows (16, 8, 4 pixels) no longer leave most of each tile empty.
struct FgradPlan {
  const uint16_t* XT[2];  // [n][PD][sh][sw][cin][XS] (or, with xr, per-thread planes)
  const uint16_t* DY[2];  // [n*OD][Kp/2][coP][2] (or, with one_dy, the current plane only)
  // xr[hl][a]: the x planes (sh * sw phase planes) of depth od*sd + a of the current output
  // plane, converted into a worker's ring; nullptr: XT holds every plane
  const uint16_t* const* xr[2];
  bool one_dy;
  int terms, cin, OD, PD, sd, sh, sw, PWq, XS, Kp, coP, MB, kh, kw;
  int64_t xpl;  // elements of one x phase plane (cin * XS)
  // tap (a, b, k)'s K run of output plane r, input channel block mb0 (hl 1: the lo parts)
  const uint16_t* x_at(int hl, int64_t r, int a, int b, int k, int mb0) const {
    const int64_t in = int64_t((b % sh) * sw + k % sw) * xpl + int64_t(mb0) * 16 * XS + int64_t(b / sh) * PWq + k / sw;
    if (xr[0] != nullptr) return xr[hl][a] + in;
    const int64_t nn = r / OD, od = r % OD;
    return XT[hl] + (nn * PD + od * sd + a) * (int64_t(sh) * sw * xpl) + in;
  }
  const uint16_t* dy_at(int hl, int64_t r, int nb0) const { return DY[hl] + (one_dy ? 0 : r * int64_t(Kp) * coP) + int64_t(nb0) * 32; }
};

template <int MT, int NT>
void fgrad_block(const FgradPlan& p, int a, int b, int k, int mb0, int nb0, int64_t r0, int64_t r1, float* dst, bool first) {
  fgrad_start<MT, NT>(dst, p.coP, first);
  const bool three = p.terms == 3;
  for (int64_t r = r0; r < r1; ++r) {
    const uint16_t* A[2] = {p.x_at(0, r, a, b, k, mb0), three ? p.x_at(1, r, a, b, k, mb0) : nullptr};
    const uint16_t* B[2] = {p.dy_at(0, r, nb0), three ? p.dy_at(1, r, nb0) : nullptr};
    fgrad_chunks<MT, NT>(A, p.XS, B, 2 * p.coP, 32 * p.coP, p.Kp / 32, p.terms);
  }
  fgrad_store<MT, NT>(dst, p.coP);
}

using FgradBlock = void (*)(const FgradPlan&, int, int, int, int, int, int64_t, int64_t, float*, bool);

// One 16 x 16 output block (MT = NT = 1) of the three width taps of (a, b) at once: they share
// each dy tile, so a chunk costs 4 tile loads for 3 products instead of 6. dst[k]: the block
// of width tap k.
void fgrad_block_w3(const FgradPlan& p, int a, int b, int mb0, int nb0, int64_t r0, int64_t r1, float* const* dst, bool first) {
  const int64_t ld = int64_t(p.coP) * 4, lda = int64_t(p.XS) * 2, ldb = int64_t(p.coP) * 4;
  if (first) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
  } else {
    _tile_loadd(0, dst[0], ld);
    _tile_loadd(1, dst[1], ld);
    _tile_loadd(2, dst[2], ld);
  }
  const int nch = p.Kp / 32;
  for (int64_t r = r0; r < r1; ++r)
    for (int t = 0; t < p.terms; ++t) {
      const int xh = t == 2 ? 1 : 0, yh = t == 1 ? 1 : 0;
      const uint16_t *x0 = p.x_at(xh, r, a, b, 0, mb0), *x1 = p.x_at(xh, r, a, b, 1, mb0), *x2 = p.x_at(xh, r, a, b, 2, mb0);
      const uint16_t* y = p.dy_at(yh, r, nb0);
      for (int ch = 0; ch < nch; ++ch) {
        _tile_loadd(6, y + int64_t(ch) * 32 * p.coP, ldb);
        _tile_loadd(4, x0 + 32 * ch, lda);
        _tile_dpbf16ps(0, 4, 6);
        _tile_loadd(5, x1 + 32 * ch, lda);
        _tile_dpbf16ps(1, 5, 6);
        _tile_loadd(7, x2 + 32 * ch, lda);
        _tile_dpbf16ps(2, 7, 6);
      }
    }
  _tile_stored(0, dst[0], ld);
  _tile_stored(1, dst[1], ld);
  _tile_stored(2, dst[2], ld);
}

}  // namespace

static bool backprop_filter_run(const Conv3DGeom& g, const float* x, const float* dy, float* dfilter, int terms, std::string* err) {
  const bool three = terms == 3;
  FgradPlan p{};
  p.terms = three ? 3 : 1;
  p.cin = g.cin;
  p.OD = g.od;
  p.sd = g.sd; p.sh = g.sh; p.sw = g.sw;
  p.PD = (g.od - 1) * g.sd + g.kd;
  const int PH = (g.oh - 1) * g.sh + g.kh, PW = (g.ow - 1) * g.sw + g.kw;
  p.PWq = ceil_div(PW, g.sw);  // = ow - 1 + ceil(kw / sw): room for every width tap's run
  const int PHq = ceil_div(PH, g.sh);
  p.Kp = round_up(g.oh * p.PWq, 32);
  p.XS = std::max<int>(PHq * p.PWq, ((g.kh - 1) / g.sh) * p.PWq + (g.kw - 1) / g.sw + p.Kp);  // zero past PHq rows
  p.MB = ceil_div(g.cin, 16);
  const int NB = ceil_div(g.cout, 16);
  p.coP = 16 * NB;
  p.kh = g.kh;
  p.kw = g.kw;
  p.xpl = int64_t(g.cin) * p.XS;
  const int taps = g.kd * g.kh * g.kw;
  const int64_t planes = int64_t(g.n) * g.od;
  const int64_t dpl = int64_t(g.sh) * g.sw * p.xpl;  // the phase planes of one padded depth
  const int64_t xsize = int64_t(g.n) * p.PD * dpl, xslack = 16 * int64_t(p.XS) + 64;
  const int64_t ypl = int64_t(p.Kp) * p.coP, dysize = planes * ypl;
  const size_t psize = size_t(taps) * p.MB * 16 * p.coP;
  // Small operands (they stay in cache): converted whole, then the workers split the taps and
  // output blocks and go through every plane, summing in the tiles. Large: the workers split
  // the output planes, each into its own partial filter, converting the x and dy planes as
  // it reaches them into a small ring (read from memory once, used from cache; no full bf16
  // copies written and read back), summed at the end.
  const int64_t op_bytes = (xsize + dysize) * 2;
  const bool by_planes = op_bytes > (int64_t(1) << 20) && planes >= 2;
  const int64_t groups = by_planes ? std::min<int64_t>(planes, num_threads()) : 1;
  thread_local Buf X, DY;
  thread_local std::vector<float> part;
  try {
    if (part.size() < psize * size_t(groups)) part.resize(psize * size_t(groups));
  } catch (const std::bad_alloc&) {
    *err = "out of memory for the AMX partial filters";
    return false;
  }
  // x depth plane i (n, padded depth) into base (its sh * sw phase planes), zero outside x
  auto convert_x = [&](int64_t i, uint16_t* base, uint16_t* basel) {
    const int nn = int(i / p.PD), d = int(i % p.PD), sd = d - g.pf;
    std::memset(base, 0, size_t(dpl) * 2);
    if (basel) std::memset(basel, 0, size_t(dpl) * 2);
    if (sd < 0 || sd >= g.d) return true;
    bool good = true;
    for (int h = 0; h < PH; ++h) {
      const int sh = h - g.pt;
      if (sh < 0 || sh >= g.h) continue;
      const float* srow = x + ((int64_t(nn) * g.d + sd) * g.h + sh) * int64_t(g.w) * g.cin;
      const int64_t o = int64_t(h % g.sh) * g.sw * p.xpl + int64_t(h / g.sh) * p.PWq;
      good &= transpose_row(srow, g.w, g.cin, g.pl, g.sw, p.PWq, p.XS, p.xpl, base + o, basel ? basel + o : nullptr);
    }
    return good;
  };
  // dy plane r on the row pitch PWq, pair-interleaved: [Kp/2][coP][2], zero past each row
  auto convert_dy = [&](int64_t r, uint16_t* dst, uint16_t* dstl, std::vector<float>& wide) {
    wide.assign(size_t(g.oh) * p.PWq * g.cout, 0.f);
    for (int oh = 0; oh < g.oh; ++oh)
      std::memcpy(wide.data() + int64_t(oh) * p.PWq * g.cout, dy + (r * g.oh + oh) * int64_t(g.ow) * g.cout, size_t(g.ow) * g.cout * 4);
    return interleave_row(wide.data(), g.oh * p.PWq, g.cout, p.Kp, p.coP, dst, dstl);
  };
  static const FgradBlock blk[3][3] = {{nullptr, nullptr, nullptr},
                                       {nullptr, &fgrad_block<1, 1>, &fgrad_block<1, 2>},
                                       {nullptr, &fgrad_block<2, 1>, &fgrad_block<2, 2>}};
  float* const parts = part.data();
  const int MBb = ceil_div(p.MB, 2), NBb = ceil_div(NB, 2);
  auto dst_of = [&](float* pp, int a, int bb, int k, int mb, int nb) {
    const int64_t tap = (int64_t(a) * g.kh + bb) * g.kw + k;
    return pp + (tap * p.MB * 16 + int64_t(mb) * 16) * p.coP + 16 * nb;
  };
  // every width tap of (a, bb) for the blocks at (mb, nb), planes [r0, r1)
  const bool w3 = p.MB == 1 && NB == 1 && g.kw == 3;
  // one block of input and of output channels: tiles narrowed to them (tiles_on)
  const bool narrow = p.MB == 1 && NB == 1;
  auto run_ab = [&](const FgradPlan& q, float* pp, int a, int bb, int mb, int nb, int64_t r0, int64_t r1, bool first) {
    if (w3) {
      float* const dst[3] = {dst_of(pp, a, bb, 0, mb, nb), dst_of(pp, a, bb, 1, mb, nb), dst_of(pp, a, bb, 2, mb, nb)};
      fgrad_block_w3(q, a, bb, mb, nb, r0, r1, dst, first);
      return;
    }
    const int mt = std::min(2, p.MB - mb), nt = std::min(2, NB - nb);
    for (int k = 0; k < g.kw; ++k) blk[mt][nt](q, a, bb, k, mb, nb, r0, r1, dst_of(pp, a, bb, k, mb, nb), first);
  };
  std::atomic<bool> ok{true};
  if (!by_planes) {
    if (!X.get(size_t(xsize + xslack), three) || !DY.get(size_t(dysize) + 64, three)) {
      *err = "out of memory for the AMX operands";
      return false;
    }
    // (thread_local buffers: the workers below must use these pointers, not X / DY)
    uint16_t *const xh = X.hi, *const xl = X.lo, *const dh = DY.hi, *const dl = DY.lo;
    std::memset(xh + xsize, 0, size_t(xslack) * 2);
    if (three) std::memset(xl + xsize, 0, size_t(xslack) * 2);
    p.XT[0] = xh; p.XT[1] = xl; p.DY[0] = dh; p.DY[1] = dl;
    parallel_for(int64_t(g.n) * p.PD, 1, [&](int64_t b, int64_t e) {
      bool good = true;
      for (int64_t i = b; i < e; ++i) good &= convert_x(i, xh + i * dpl, three ? xl + i * dpl : nullptr);
      if (!good) ok.store(false);
    });
    parallel_for(planes, 1, [&](int64_t b, int64_t e) {
      thread_local std::vector<float> wide;
      bool good = true;
      for (int64_t r = b; r < e; ++r) good &= convert_dy(r, dh + r * ypl, three ? dl + r * ypl : nullptr, wide);
      if (!good) ok.store(false);
    });
    if (!ok.load()) return false;
    parallel_for(int64_t(g.kd) * g.kh * MBb * NBb, 1, [&](int64_t b, int64_t e) {
      tiles_on(narrow ? g.cout : 16, narrow ? g.cin : 16);
      for (int64_t i = b; i < e; ++i) {
        const int ab = int(i / (MBb * NBb)), mb = 2 * int(i / NBb % MBb), nb = 2 * int(i % NBb);
        run_ab(p, parts, ab / g.kh, ab % g.kh, mb, nb, 0, planes, true);
      }
      tiles_off();
    });
  } else {
    parallel_for(groups, 1, [&](int64_t b, int64_t e) {
      // ring of converted x depths (slot d % slots) and the current dy plane, per worker
      thread_local std::vector<uint16_t> rh, rl, yh, yl;
      thread_local std::vector<int64_t> tag;
      thread_local std::vector<float> wide;
      const int slots = g.kd + g.sd;
      const size_t rsz = size_t(slots) * size_t(dpl) + size_t(xslack);
      if (rh.size() < rsz) rh.resize(rsz);  // zero-filled when grown: the slack stays finite
      if (three && rl.size() < rsz) rl.resize(rsz);
      if (yh.size() < size_t(ypl) + 64) yh.resize(size_t(ypl) + 64);
      if (three && yl.size() < size_t(ypl) + 64) yl.resize(size_t(ypl) + 64);
      tag.assign(size_t(slots), -1);
      std::vector<const uint16_t*> xr0(size_t(g.kd)), xr1(size_t(g.kd));
      FgradPlan q = p;
      q.xr[0] = xr0.data();
      q.xr[1] = xr1.data();
      q.one_dy = true;
      q.DY[0] = yh.data();
      q.DY[1] = three ? yl.data() : nullptr;
      bool good = true;
      tiles_on(narrow ? g.cout : 16, narrow ? g.cin : 16);
      for (int64_t gi = b; gi < e && good; ++gi) {
        const int64_t r0 = planes * gi / groups, r1 = planes * (gi + 1) / groups;
        float* pp = parts + size_t(gi) * psize;
        for (int64_t r = r0; r < r1 && good; ++r) {
          const int64_t nn = r / g.od, od = r % g.od;
          for (int a = 0; a < g.kd; ++a) {
            const int64_t i = nn * p.PD + od * g.sd + a;
            const size_t slot = size_t(i % slots);
            uint16_t* h = rh.data() + slot * size_t(dpl);
            uint16_t* l = three ? rl.data() + slot * size_t(dpl) : nullptr;
            if (tag[slot] != i) {
              tag[slot] = i;
              if (!convert_x(i, h, l)) good = false;
            }
            xr0[size_t(a)] = h;
            xr1[size_t(a)] = l;
          }
          good &= convert_dy(r, yh.data(), three ? yl.data() : nullptr, wide);
          if (!good) break;
          for (int a = 0; a < g.kd; ++a)
            for (int bb = 0; bb < g.kh; ++bb)
              for (int mb = 0; mb < p.MB; mb += 2)
                for (int nb = 0; nb < NB; nb += 2) run_ab(q, pp, a, bb, mb, nb, r, r + 1, r == r0);
        }
      }
      tiles_off();
      if (!good) {
        // keep the ring finite for later calls (tile rows read past a plane's end)
        std::fill(rh.begin(), rh.end(), uint16_t(0));
        if (three) std::fill(rl.begin(), rl.end(), uint16_t(0));
        ok.store(false);
      }
    });
    if (!ok.load()) return false;
  }
  // the groups' partial filters [tap][MB*16][coP] summed into dfilter [tap][cin][cout]
  parallel_for(int64_t(taps) * g.cin, 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t tap = i / g.cin, ci = i % g.cin;
      float* o = dfilter + i * g.cout;
      const float* s0 = parts + (tap * p.MB * 16 + ci) * p.coP;
      std::memcpy(o, s0, size_t(g.cout) * 4);
      for (int64_t gi = 1; gi < groups; ++gi) {
        const float* s = s0 + size_t(gi) * psize;
        for (int co = 0; co < g.cout; ++co) o[co] += s[co];
      }
    }
  });
  return true;
}

namespace {
// Completed AMX calls per pass (forward, input gradient, filter gradient): what the tests
// read to tell that use_amp really ran its convolutions on the tiles.
std::atomic<int64_t> g_calls[3];
}  // namespace

bool conv3d_amx_forward(const Conv3DGeom& g, const float* x, const float* filter, float* y, int terms, std::string* err) {
  const bool ran = forward_run(g, x, filter, y, terms, err);
  if (ran) g_calls[0].fetch_add(1, std::memory_order_relaxed);
  return ran;
}
bool conv3d_amx_backprop_input(const Conv3DGeom& g, const float* dy, const float* filter, float* dx, int terms, std::string* err) {
  const bool ran = backprop_input_run(g, dy, filter, dx, terms, err);
  if (ran) g_calls[1].fetch_add(1, std::memory_order_relaxed);
  return ran;
}
bool conv3d_amx_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy, float* dfilter, int terms, std::string* err) {
  const bool ran = backprop_filter_run(g, x, dy, dfilter, terms, err);
  if (ran) g_calls[2].fetch_add(1, std::memory_order_relaxed);
  return ran;
}
int64_t conv3d_amx_calls(int pass) { return pass >= 0 && pass < 3 ? g_calls[pass].load(std::memory_order_relaxed) : 0; }

double amx_peak_gflops(int threads, double seconds) {
  if (!amx_usable()) return 0;
  threads = std::max(1, threads);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> ts;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      tiles_on();
      alignas(64) static const uint16_t A[512] = {};
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      _tile_loadd(4, A, 64);
      _tile_loadd(5, A, 64);
      _tile_loadd(6, A, 64);
      _tile_loadd(7, A, 64);
      int64_t n = 0;
      do {  // at least one batch, however late this thread started
        for (int i = 0; i < 4096; ++i) {
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
          _tile_dpbf16ps(2, 5, 6);
          _tile_dpbf16ps(3, 5, 7);
        }
        n += 4096;
      } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds);
      alignas(64) float c[256];
      _tile_stored(0, c, 64);
      tiles_off();
      total += n;
    });
  for (auto& t : ts) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return double(total.load()) * 4 * 16 * 16 * 32 * 2 / s / 1e9;
}

#else  // no AMX code compiled in

bool conv3d_amx_forward(const Conv3DGeom&, const float*, const float*, float*, int, std::string*) { return false; }
bool conv3d_amx_backprop_input(const Conv3DGeom&, const float*, const float*, float*, int, std::string*) { return false; }
bool conv3d_amx_backprop_filter(const Conv3DGeom&, const float*, const float*, float*, int, std::string*) { return false; }
double amx_peak_gflops(int, double) { return 0; }
int64_t conv3d_amx_calls(int) { return 0; }

#endif

}  // namespace clara
