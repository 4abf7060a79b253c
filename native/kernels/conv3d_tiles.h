// Shared parts of the direct conv3d kernels (conv3d_forward.cc, conv3d_backprop_input.cc,
// conv3d_backprop_filter.cc): the core geometry, padding and bf16-rounding copies, the
// per-thread plane ring, the weight packing and the register-tile forward core
// (conv3d_tiles.cc) that the forward pass and the input gradient both run.
// Internal to native/kernels (not a public API). Plain C++ (no N-API).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/scratch.h"
#include "common/thread_pool.h"
#include "kernels/conv3d.h"

namespace clara {
namespace conv3d_detail {

inline int round_up(int v, int m) { return (v + m - 1) / m * m; }

// Products on AMX tiles for a convolution of this precision: 1 for bf16, 3 (hi*hi +
// hi*lo + lo*hi) for fp32 in the opt-in fp32 mode; 0 where AMX is not used (conv3d_bf16.cc).
int amx_terms(bool bf16);

// The precision a pass runs in: kAmp resolved with `pays` (the AMX kernels beat fp32 on this
// pass's geometry) to kBf16 or kFp32 where AMX is usable, to kBf16 where it is not; the
// others unchanged (conv3d_bf16.cc).
ConvPrecision resolve_amp(ConvPrecision p, bool pays);

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
inline void dense_output(Core& c) {
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
void round_copy_parallel(const float* src, float* dst, int64_t n);

// Blocks of output-channel vectors: at most 4 vectors (64 channels) per block.
std::vector<std::pair<int, int>> cout_blocks(int coutp);

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
// Instantiated for float, and for uint16_t (bf16 bits) where AVX512-BF16 is compiled in.
template <typename T>
void core_forward(const Core& c, const T* x, const T* wpk, float* y, bool round_planes = false,
                  const T* wpair = nullptr);

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

}  // namespace conv3d_detail
}  // namespace clara
