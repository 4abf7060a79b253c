// The conv3d bf16 policy: round-to-nearest-even bf16 conversion (scalar and
// AVX-512), whether the AVX512-BF16 dot products are used (measured once against
// fp32 FMA: on the Xeons measured so far they were slower, so bf16 convolutions
// without AMX run the exact emulation: bf16-rounded inputs, fp32 FMA), and whether
// a convolution goes to the AMX tiles (amx.h, conv3d_amx.cc).
#include "kernels/conv3d.h"
#include "kernels/amx.h"
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
// FMA flop rate, so the exact emulation (bf16-rounded inputs, fp32 FMA) is the
// faster non-AMX bf16 path there (those Xeons do have AMX: where it is usable the
// bf16 convolutions run on its tiles instead, conv3d_amx.cc). Measured once, one
// thread, best of 3.
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

namespace conv3d_detail {

int amx_terms(bool bf16) {
  if (!amx_usable()) return 0;
  return bf16 ? 1 : amx_fp32_three_products() ? 3 : 0;
}

ConvPrecision resolve_amp(ConvPrecision p, bool pays) {
  if (p != ConvPrecision::kAmp) return p;
  return !amx_usable() || pays ? ConvPrecision::kBf16 : ConvPrecision::kFp32;
}

}  // namespace conv3d_detail

}  // namespace clara
