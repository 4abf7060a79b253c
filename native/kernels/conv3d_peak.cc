// Peak probes of fp32 FMA and AVX512-BF16 dot products (the conv3d benchmark's
// fractions of peak and the one-time bf16 dot-product policy measurement).
#include "kernels/conv3d.h"
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
