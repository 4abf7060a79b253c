#include "kernels/label_onehot.h"

#include <algorithm>
#include <cmath>

#include "common/thread_pool.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {

int32_t label_index(float v) {
  // |v| < 2^31 (every label map): rint in the default mode is round half to even, and the
  // integer fits int32 as it is (the float below 2^31 closest to it is 2147483520)
  if (std::fabs(v) <= 2147483520.f) return int32_t(__builtin_rintf(v));
  const double r = std::nearbyint(double(v));  // the default rounding mode: half to even
  if (!std::isfinite(r)) return 0;
  double t = std::fmod(r, 4294967296.0);
  if (t < 0) t += 4294967296.0;
  if (t >= 2147483648.0) t -= 4294967296.0;
  return int32_t(t);
}

void label_onehot_f32(const float* label, int64_t n, int64_t depth, float* out) {
  parallel_for(n, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, depth)), [&](int64_t b, int64_t e) {
    if (depth == 2) {  // the common binary case: two compares per voxel, vectorised
      constexpr float kLim = 2147483520.f;
      bool slow = false;
      int64_t i = b;
#if defined(__AVX512F__)
      const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const __m512 one = _mm512_set1_ps(1.f), zero = _mm512_setzero_ps(), lim = _mm512_set1_ps(kLim);
      __mmask16 big = 0;
      for (; i + 16 <= e; i += 16) {
        const __m512 v = _mm512_loadu_ps(label + i);
        const __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __m512 o0 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, zero, _CMP_EQ_OQ), one);
        const __m512 o1 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(r, one, _CMP_EQ_OQ), one);
        big |= _mm512_cmp_ps_mask(_mm512_abs_ps(v), lim, _CMP_NLE_UQ);
        _mm512_storeu_ps(out + 2 * i, _mm512_permutex2var_ps(o0, lo, o1));
        _mm512_storeu_ps(out + 2 * i + 16, _mm512_permutex2var_ps(o0, hi, o1));
      }
      slow = big != 0;
#endif
      for (; i < e; ++i) {
        const float v = label[i], r = __builtin_rintf(v);
        out[2 * i] = r == 0.f ? 1.f : 0.f;
        out[2 * i + 1] = r == 1.f ? 1.f : 0.f;
        slow |= !(std::fabs(v) <= kLim);
      }
      if (slow)  // NaN, infinities and huge values wrap like ToInt32: redo those voxels
        for (int64_t i = b; i < e; ++i)
          if (!(std::fabs(label[i]) <= kLim)) {
            const int32_t k = label_index(label[i]);
            out[2 * i] = k == 0 ? 1.f : 0.f;
            out[2 * i + 1] = k == 1 ? 1.f : 0.f;
          }
      return;
    }
    std::fill(out + b * depth, out + e * depth, 0.f);
    for (int64_t i = b; i < e; ++i) {
      const int32_t k = label_index(label[i]);
      if (k >= 0 && k < depth) out[i * depth + k] = 1.f;
    }
  });
}

}  // namespace clara
