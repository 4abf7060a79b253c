#include "kernels/isa_probe.h"

#include "kernels/conv3d_amx.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Core clock: a chain of dependent 64-bit multiplies (3 cycles each on the Intel
// and AMD cores of the last decade; a chain of immediate adds is not usable:
// newer cores fold those at rename and retire several per cycle).
double measure_ghz(int64_t iters) {
#if defined(__x86_64__)
  uint64_t x = 1, one = 1;
  asm volatile("" : "+r"(one));
  auto t0 = Clock::now();
  for (int64_t i = 0; i < iters; ++i) {
    asm volatile(
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        : "+r"(x)
        : "r"(one));
  }
  const double s = seconds_since(t0);
  asm volatile("" ::"r"(x));
  return 3.0 * 16.0 * double(iters) / s / 1e9;
#else
  (void)iters;
  return 0;
#endif
}

#if defined(__AVX512F__)
// Instructions per ns of `step` applied to CH independent accumulator chains.
template <int CH, class Step>
double chain_rate(int64_t iters, Step step) {
  __m512 a[CH];
  for (int i = 0; i < CH; ++i) a[i] = _mm512_set1_ps(float(i));
  auto t0 = Clock::now();
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 32
    for (int i = 0; i < CH; ++i) a[i] = step(a[i]);
  }
  const double s = seconds_since(t0);
  __m512 sum = a[0];
  for (int i = 1; i < CH; ++i) sum = _mm512_add_ps(sum, a[i]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return double(CH) * double(iters) / s / 1e9;
}

template <int CH>
double fma_rate(int64_t iters) {
  const __m512 m = _mm512_set1_ps(0.999999f), k = _mm512_set1_ps(1e-7f);
  return chain_rate<CH>(iters, [m, k](__m512 x) { return _mm512_fmadd_ps(x, m, k); });
}
#endif

#if defined(__AVX512BF16__)
template <int CH>
double dpbf16_rate(int64_t iters) {
  const __m512bh m = (__m512bh)_mm512_set1_epi32(0x3f803f80), k = (__m512bh)_mm512_set1_epi32(0x33d633d6);
  return chain_rate<CH>(iters, [m, k](__m512 x) { return _mm512_dpbf16_ps(x, m, k); });
}
#endif

// iterations that take about ms_each at `guess` instructions per ns
int64_t iters_for(double ms_each, double guess_per_ns, int per_iter) {
  return std::max<int64_t>(1000, int64_t(ms_each * 1e6 * guess_per_ns / per_iter));
}

}  // namespace

IsaProbe isa_probe(int trials, double ms_each) {
  // every configuration once per round, best over the rounds: a moment when the
  // shared core was quiet benefits all of them alike
  struct Cfg {
    const char* instr;
    int chains;
    double flops, guess;
    double (*run)(int64_t);
    double best;
  };
  std::vector<Cfg> cfgs;
#if defined(__AVX512F__)
  cfgs.push_back({"vfmadd231ps zmm", 4, 32, 2, &fma_rate<4>, 0});
  cfgs.push_back({"vfmadd231ps zmm", 8, 32, 5, &fma_rate<8>, 0});
  cfgs.push_back({"vfmadd231ps zmm", 12, 32, 5, &fma_rate<12>, 0});
  cfgs.push_back({"vfmadd231ps zmm", 16, 32, 5, &fma_rate<16>, 0});
  cfgs.push_back({"vfmadd231ps zmm", 24, 32, 5, &fma_rate<24>, 0});
#endif
#if defined(__AVX512BF16__)
  cfgs.push_back({"vdpbf16ps zmm", 4, 64, 1, &dpbf16_rate<4>, 0});
  cfgs.push_back({"vdpbf16ps zmm", 8, 64, 2, &dpbf16_rate<8>, 0});
  cfgs.push_back({"vdpbf16ps zmm", 12, 64, 2, &dpbf16_rate<12>, 0});
  cfgs.push_back({"vdpbf16ps zmm", 16, 64, 2, &dpbf16_rate<16>, 0});
  cfgs.push_back({"vdpbf16ps zmm", 24, 64, 2, &dpbf16_rate<24>, 0});
#endif
  IsaProbe p;
  for (int t = 0; t < std::max(1, trials); ++t) {
    p.ghz = std::max(p.ghz, measure_ghz(iters_for(ms_each, 1.0, 48)));
    for (auto& c : cfgs) c.best = std::max(c.best, c.run(iters_for(ms_each, c.guess, c.chains)));
  }
  for (auto& c : cfgs) p.rates.push_back({c.instr, c.chains, c.best, p.ghz > 0 ? c.best / p.ghz : 0, c.best * c.flops});
  // AMX tile products (16x16 fp32 += 16x32 bf16 * 32x16 bf16: 16384 flops each), four
  // independent accumulator tiles; only where AMX is usable (amx.h)
  double amx = 0;
  for (int t = 0; t < std::max(1, trials); ++t) amx = std::max(amx, amx_peak_gflops(1, ms_each * 1e-3));
  if (amx > 0) p.rates.push_back({"tdpbf16ps tmm", 4, amx / 16384, p.ghz > 0 ? amx / 16384 / p.ghz : 0, amx});
  return p;
}

}  // namespace clara
