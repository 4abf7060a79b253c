// Flip, rot90 and crop/pad (CPU): pure index maps, exact.
#include <algorithm>
#include <cstring>

#include "common/thread_pool.h"
#include "transforms/stream_store.h"
#include "transforms/transform_ops.h"

namespace clara {

void flip_cpu(const float* in, float* out, int64_t channels, const int64_t shape[3], int mask) {
  const int64_t ni = shape[0], nj = shape[1], nk = shape[2], sp = ni * nj * nk;
  // output row `row` = (c, i, j) reads the input row at the flipped (i, j) of the same channel
  auto src_row = [&](int64_t row) {
    const int64_t c = row / (ni * nj), i = (row / nj) % ni, j = row % nj;
    const int64_t si = (mask & 1) ? ni - 1 - i : i, sj = (mask & 2) ? nj - 1 - j : j;
    return in + c * sp + (si * nj + sj) * nk;
  };
#if defined(CLARA_STREAM_AVX512)
  // rows of whole 64-byte lines stream (the row start must be aligned: nk % 16 == 0 and an
  // aligned output); a k-flip reverses 16 floats per step with one permute
  const bool stream = channels * sp * 4 >= kStreamMinBytes && nk % 16 == 0 && (reinterpret_cast<uintptr_t>(out) & 63) == 0;
  if (stream || (mask & 4)) {
    const __m512i rev = _mm512_setr_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    parallel_for(channels * ni * nj, 16, [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        const float* s = src_row(row);
        float* d = out + row * nk;
        if (mask & 4) {
          map16(d, 0, nk, stream, [&](int64_t k) { return _mm512_permutexvar_ps(rev, _mm512_loadu_ps(s + nk - 16 - k)); },
                [&](int64_t k) { return s[nk - 1 - k]; });
        } else {
          map16(d, 0, nk, stream, [&](int64_t k) { return _mm512_loadu_ps(s + k); }, [&](int64_t k) { return s[k]; });
        }
      }
    });
    return;
  }
#endif
  parallel_for(channels * ni * nj, 16, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const float* s = src_row(row);
      float* d = out + row * nk;
      if (mask & 4) {
        for (int64_t k = 0; k < nk; ++k) d[k] = s[nk - 1 - k];
      } else {
        std::memcpy(d, s, sizeof(float) * nk);
      }
    }
  });
}

void rot90_cpu(const float* in, float* out, int64_t channels, const int64_t shape[3], int k, int a0, int a1) {
  k = ((k % 4) + 4) % 4;
  int64_t os[3] = {shape[0], shape[1], shape[2]};
  if (k % 2) std::swap(os[a0], os[a1]);
  const int64_t sp = shape[0] * shape[1] * shape[2];
  const int64_t istr[3] = {shape[1] * shape[2], shape[2], 1};
  parallel_for(channels * os[0] * os[1], 16, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / (os[0] * os[1]);
      const int64_t o0 = (row / os[1]) % os[0], o1 = row % os[1];
      if (a0 != 2 && a1 != 2) {
        // the last axis is not rotated: whole rows copy
        int64_t s0 = o0, s1 = o1;
        const int64_t oo[2] = {o0, o1};
        int64_t ss[2] = {o0, o1};
        if (k == 1) { ss[a0] = oo[a1]; ss[a1] = shape[a1] - 1 - oo[a0]; }
        else if (k == 2) { ss[a0] = shape[a0] - 1 - oo[a0]; ss[a1] = shape[a1] - 1 - oo[a1]; }
        else if (k == 3) { ss[a0] = shape[a0] - 1 - oo[a1]; ss[a1] = oo[a0]; }
        s0 = ss[0]; s1 = ss[1];
        std::memcpy(out + c * sp + (o0 * os[1] + o1) * os[2], in + c * sp + s0 * istr[0] + s1 * istr[1], sizeof(float) * os[2]);
        continue;
      }
      for (int64_t o2 = 0; o2 < os[2]; ++o2) {
        int64_t o[3] = {o0, o1, o2};
        int64_t s[3] = {o0, o1, o2};
        // numpy rot90: k=1 → flip(axis a1) then swap axes; out[.., p, .., q] = in[.., q', .., p'].
        if (k == 1) { s[a0] = o[a1]; s[a1] = shape[a1] - 1 - o[a0]; }
        else if (k == 2) { s[a0] = shape[a0] - 1 - o[a0]; s[a1] = shape[a1] - 1 - o[a1]; }
        else if (k == 3) { s[a0] = shape[a0] - 1 - o[a1]; s[a1] = o[a0]; }
        out[c * sp + (o0 * os[1] + o1) * os[2] + o2] = in[c * sp + s[0] * istr[0] + s[1] * istr[1] + s[2]];
      }
    }
  });
}

void crop_pad_cpu(const float* in, float* out, int64_t channels, const int64_t is[3], const int64_t os[3],
                  const int64_t st[3], float fill) {
  const int64_t isp = is[0] * is[1] * is[2], osp = os[0] * os[1] * os[2];
  const int64_t k_lo = std::max<int64_t>(0, -st[2]), k_hi = std::min<int64_t>(os[2], is[2] - st[2]);
  parallel_for(channels * os[0] * os[1], 32, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / (os[0] * os[1]), i = (row / os[1]) % os[0], j = row % os[1];
      float* d = out + c * osp + (i * os[1] + j) * os[2];
      const int64_t si = i + st[0], sj = j + st[1];
      if (si < 0 || si >= is[0] || sj < 0 || sj >= is[1] || k_hi <= k_lo) {
        std::fill(d, d + os[2], fill);
        continue;
      }
      std::fill(d, d + k_lo, fill);
      std::memcpy(d + k_lo, in + c * isp + (si * is[1] + sj) * is[2] + st[2] + k_lo, sizeof(float) * (k_hi - k_lo));
      std::fill(d + std::max(k_lo, k_hi), d + os[2], fill);
    }
  });
}

}  // namespace clara
