// Label-side ops (CPU): foreground/background indices, bounding box, one-hot.
//
// All three compare floats with a double threshold; x > thr for a float x equals
// x > float_below(thr) (the largest float <= thr), so the vector loops compare in float.
// AVX-512 paths (16 voxels per step, mask registers) are compiled in where the CPU has them;
// the scalar loops stay for portable builds and give the same results.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#if defined(__AVX512F__) && !defined(CLARA_NO_AVX512_LABEL)
#include <immintrin.h>
#define CLARA_LABEL_AVX512 1
#endif

#include "common/thread_pool.h"
#include "transforms/stream_store.h"
#include "transforms/transform_ops_cpu.h"

namespace clara {
namespace {

// The largest float <= t (t a double): for every float x, x > t  <=>  x > float_below(t).
float float_below(double t) {
  if (std::isnan(t)) return NAN;
  if (t >= static_cast<double>(FLT_MAX)) return t == INFINITY ? INFINITY : FLT_MAX;
  if (t <= -static_cast<double>(FLT_MAX)) return t < -static_cast<double>(FLT_MAX) ? -INFINITY : -FLT_MAX;
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -INFINITY);
  return f;
}

constexpr int64_t kChunk = 1 << 15;  // voxels per work item of the index search

// Per voxel of [lo, hi): fg = any label channel > 0; bg = !fg and (no image or any image
// channel > thr). Calls emit(fg_mask, bg_mask, first_voxel, lanes) per block of up to 16.
template <class Emit>
inline void classify(const float* label, int64_t lc, const float* image, int64_t ic, int64_t sp, float thr,
                     int64_t lo, int64_t hi, Emit emit) {
#if defined(CLARA_LABEL_AVX512)
  const __m512 zero = _mm512_setzero_ps(), vt = _mm512_set1_ps(thr);
  for (int64_t v = lo; v < hi; v += 16) {
    const int lanes = static_cast<int>(std::min<int64_t>(16, hi - v));
    const __mmask16 lm = lanes == 16 ? __mmask16(0xffff) : __mmask16((1u << lanes) - 1);
    __mmask16 f = 0;
    for (int64_t c = 0; c < lc; ++c) f |= _mm512_mask_cmp_ps_mask(lm, _mm512_maskz_loadu_ps(lm, label + c * sp + v), zero, _CMP_GT_OQ);
    __mmask16 b;
    if (image == nullptr) {
      b = lm & ~f;
    } else {
      __mmask16 any = 0;
      for (int64_t c = 0; c < ic; ++c) any |= _mm512_mask_cmp_ps_mask(lm, _mm512_maskz_loadu_ps(lm, image + c * sp + v), vt, _CMP_GT_OQ);
      b = any & ~f;
    }
    emit(f, b, v, lanes);
  }
#else
  for (int64_t v = lo; v < hi; v += 16) {
    const int lanes = static_cast<int>(std::min<int64_t>(16, hi - v));
    uint32_t f = 0, b = 0;
    for (int l = 0; l < lanes; ++l) {
      bool isf = false;
      for (int64_t c = 0; c < lc; ++c) isf |= label[c * sp + v + l] > 0;
      bool isb = image == nullptr;
      for (int64_t c = 0; c < ic && image; ++c) isb |= image[c * sp + v + l] > thr;
      f |= uint32_t(isf) << l;
      b |= uint32_t(!isf && isb) << l;
    }
    emit(f, b, v, lanes);
  }
#endif
}

inline int popcount16(uint32_t m) { return __builtin_popcount(m & 0xffffu); }

}  // namespace

IndexPair fg_bg_indices_cpu2(const float* label, int64_t lc, const float* image, int64_t ic, int64_t sp, double thr_d) {
  // Pass 1 reads the label and image once per chunk: it keeps the fg and bg masks (2 bits a
  // voxel, 1/16 of the input bytes) and counts them. Pass 2 reads only the masks and writes
  // each chunk's indices straight into its slice of the two outputs (compress-store of the
  // voxel index vector under the mask): no per-chunk buffers, no concatenation copy.
  const float thr = float_below(thr_d);
  const int64_t nchunks = (sp + kChunk - 1) / kChunk, nblocks = (sp + 15) / 16;
  std::unique_ptr<int64_t[]> nf(new int64_t[nchunks + 1]()), nb(new int64_t[nchunks + 1]());
  std::unique_ptr<uint16_t[]> fmask(new uint16_t[nblocks]), bmask(new uint16_t[nblocks]);
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      int64_t a = 0, z = 0;
      classify(label, lc, image, ic, sp, thr, ch * kChunk, std::min(sp, (ch + 1) * kChunk),
               [&](uint32_t f, uint32_t g, int64_t v, int) {
                 fmask[v >> 4] = static_cast<uint16_t>(f);
                 bmask[v >> 4] = static_cast<uint16_t>(g);
                 a += popcount16(f); z += popcount16(g);
               });
      nf[ch + 1] = a; nb[ch + 1] = z;
    }
  });
  for (int64_t ch = 0; ch < nchunks; ++ch) { nf[ch + 1] += nf[ch]; nb[ch + 1] += nb[ch]; }
  IndexPair r;
  r.nfg = nf[nchunks]; r.nbg = nb[nchunks];
  r.fg = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * std::max<int64_t>(1, r.nfg)));
  r.bg = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * std::max<int64_t>(1, r.nbg)));
  if (r.fg == nullptr || r.bg == nullptr) {
    std::free(r.fg); std::free(r.bg);
    r.fg = r.bg = nullptr;
    return r;
  }
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      int32_t* f = r.fg + nf[ch];
      int32_t* g = r.bg + nb[ch];
      const int64_t b0 = ch * kChunk / 16, b1 = std::min(nblocks, (ch + 1) * kChunk / 16);
#if defined(CLARA_LABEL_AVX512)
      const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      for (int64_t blk = b0; blk < b1; ++blk) {
        const __mmask16 fm = fmask[blk], gm = bmask[blk];
        const __m512i idx = _mm512_add_epi32(iota, _mm512_set1_epi32(static_cast<int>(blk * 16)));
        _mm512_mask_compressstoreu_epi32(f, fm, idx);
        _mm512_mask_compressstoreu_epi32(g, gm, idx);
        f += popcount16(fm); g += popcount16(gm);
      }
#else
      for (int64_t blk = b0; blk < b1; ++blk) {
        for (uint32_t m = fmask[blk]; m; m &= m - 1) *f++ = static_cast<int32_t>(blk * 16 + __builtin_ctz(m));
        for (uint32_t m = bmask[blk]; m; m &= m - 1) *g++ = static_cast<int32_t>(blk * 16 + __builtin_ctz(m));
      }
#endif
    }
  });
  return r;
}

void fg_bg_indices_cpu(const float* label, int64_t lc, const float* image, int64_t ic, int64_t sp, double thr,
                       std::vector<int32_t>* fg, std::vector<int32_t>* bg) {
  IndexPair r = fg_bg_indices_cpu2(label, lc, image, ic, sp, thr);
  fg->assign(r.fg, r.fg + r.nfg);
  bg->assign(r.bg, r.bg + r.nbg);
  std::free(r.fg);
  std::free(r.bg);
}

namespace {
// Row scans for the bounding box: the first / last k in [k0, k1) of a row where some channel
// is > thr, or -1. Vector: 16 voxels per compare, tzcnt / lzcnt of the hit mask.
struct RowScan {
  const float* in;
  int64_t channels, sp;
  float thr;
#if defined(CLARA_LABEL_AVX512)
  uint32_t mask(int64_t at, int lanes) const {
    const __mmask16 lm = lanes == 16 ? __mmask16(0xffff) : __mmask16((1u << lanes) - 1);
    const __m512 vt = _mm512_set1_ps(thr);
    __mmask16 m = 0;
    for (int64_t c = 0; c < channels; ++c) m |= _mm512_mask_cmp_ps_mask(lm, _mm512_maskz_loadu_ps(lm, in + c * sp + at), vt, _CMP_GT_OQ);
    return m;
  }
#endif
  bool above(int64_t at) const {
    for (int64_t c = 0; c < channels; ++c)
      if (in[c * sp + at] > thr) return true;
    return false;
  }
  int64_t first(int64_t row, int64_t k0, int64_t k1) const {
#if defined(CLARA_LABEL_AVX512)
    for (int64_t k = k0; k < k1; k += 16) {
      const uint32_t m = mask(row + k, static_cast<int>(std::min<int64_t>(16, k1 - k)));
      if (m) return k + __builtin_ctz(m);
    }
    return -1;
#else
    for (int64_t k = k0; k < k1; ++k)
      if (above(row + k)) return k;
    return -1;
#endif
  }
  int64_t last(int64_t row, int64_t k0, int64_t k1) const {
#if defined(CLARA_LABEL_AVX512)
    for (int64_t k = k1; k > k0; k -= 16) {
      const int64_t lo = std::max(k0, k - 16);
      const uint32_t m = mask(row + lo, static_cast<int>(k - lo));
      if (m) return lo + 31 - __builtin_clz(m);
    }
    return -1;
#else
    for (int64_t k = k1 - 1; k >= k0; --k)
      if (above(row + k)) return k;
    return -1;
#endif
  }
};
}  // namespace

bool bounding_box_cpu(const float* in, int64_t channels, const int64_t s[3], double thr_d, int64_t start[3],
                      int64_t end[3]) {
  const int64_t sp = s[0] * s[1] * s[2], nk = s[2];
  const RowScan scan{in, channels, sp, float_below(thr_d)};
  std::mutex mu;
  int64_t lo[3] = {s[0], s[1], s[2]}, hi[3] = {-1, -1, -1};
  parallel_for(s[0], 1, [&](int64_t b, int64_t e) {
    int64_t l[3] = {s[0], s[1], s[2]}, h[3] = {-1, -1, -1};
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < s[1]; ++j) {
        const int64_t row = (i * s[1] + j) * nk;
        if (i >= l[0] && i <= h[0] && j >= l[1] && j <= h[1]) {
          // i and j already inside this thread's box: only k beyond [l2, h2] can grow it
          const int64_t f = scan.first(row, 0, l[2]);
          if (f >= 0) l[2] = f;
          const int64_t t = scan.last(row, h[2] + 1, nk);
          if (t >= 0) h[2] = t;
          continue;
        }
        const int64_t k0 = scan.first(row, 0, nk);
        if (k0 < 0) continue;
        const int64_t k1 = scan.last(row, k0, nk);
        l[0] = std::min(l[0], i); h[0] = std::max(h[0], i);
        l[1] = std::min(l[1], j); h[1] = std::max(h[1], j);
        l[2] = std::min(l[2], k0); h[2] = std::max(h[2], k1);
      }
    std::lock_guard<std::mutex> lk(mu);
    for (int d = 0; d < 3; ++d) { lo[d] = std::min(lo[d], l[d]); hi[d] = std::max(hi[d], h[d]); }
  });
  if (hi[0] < 0) {
    for (int d = 0; d < 3; ++d) start[d] = end[d] = 0;
    return false;
  }
  for (int d = 0; d < 3; ++d) { start[d] = lo[d]; end[d] = hi[d] + 1; }
  return true;
}

void one_hot_cpu(const float* label, float* out, int64_t sp, int64_t n) {
  // out[c, v] = (label[v] == c): exactly the reference's "integer in [0, n)" test (a float
  // equal to the integer c is that integer; -0 counts as 0). One pass writes every output
  // element once (no zero fill then scatter); blocks keep the label in L1 across classes.
#if defined(CLARA_STREAM_AVX512)
  const bool stream = sp * n * 4 >= kStreamMinBytes;
#endif
  parallel_for(sp, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t v0 = b; v0 < e; v0 += 4096) {
      const int64_t v1 = std::min(e, v0 + 4096);
      for (int64_t c = 0; c < n; ++c) {
        const float cf = static_cast<float>(c);
        float* o = out + c * sp;
#if defined(CLARA_STREAM_AVX512)
        const __m512 vc = _mm512_set1_ps(cf), one = _mm512_set1_ps(1.f);
        map16(o, v0, v1, stream,
              [&](int64_t v) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(label + v), vc, _CMP_EQ_OQ), one); },
              [&](int64_t v) { return label[v] == cf ? 1.f : 0.f; });
#else
        for (int64_t v = v0; v < v1; ++v) o[v] = label[v] == cf ? 1.f : 0.f;
#endif
      }
    }
  });
}

void one_hot_cpu_zeroed(const float* label, float* out, int64_t sp, int64_t n) {
  // out is already all zeros (a fresh allocation): write only the ones, as the reference does,
  // so the pages of a class that no voxel has are never touched.
  parallel_for(sp, 1 << 14, [&](int64_t b, int64_t e) {
    int64_t v = b;
#if defined(CLARA_LABEL_AVX512)
    const __m512 one = _mm512_set1_ps(1.f);
    for (; v + 16 <= e; v += 16) {
      const __m512 l = _mm512_loadu_ps(label + v);
      for (int64_t c = 0; c < n; ++c) {
        const __mmask16 m = _mm512_cmp_ps_mask(l, _mm512_set1_ps(static_cast<float>(c)), _CMP_EQ_OQ);
        if (m) _mm512_mask_storeu_ps(out + c * sp + v, m, one);
      }
    }
#endif
    for (; v < e; ++v) {
      const float l = label[v];
      const int64_t c = static_cast<int64_t>(l);
      if (l >= 0 && static_cast<float>(c) == l && c < n) out[c * sp + v] = 1.f;
    }
  });
}

}  // namespace clara
