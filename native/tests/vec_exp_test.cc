// The polynomial exp of kernels/vec_exp.h against std::exp (double) over the range the kernels
// use: states the max relative error of the scalar and (where built) the AVX-512 form, and
// fails above 3 ulp (3 · 2^-24 ≈ 1.8e-7) on [-87, 88] or on exact points (exp(0) = 1).
#include <cmath>
#include <cstdio>

#include "kernels/vec_exp.h"

int main() {
  int failures = 0;
  double max_scalar = 0, max_vec = 0;
  const int steps = 2000000;
  for (int k = 0; k <= steps; ++k) {
    const float x = -87.f + 175.f * float(k) / float(steps);
    const double ref = std::exp(double(x));
    max_scalar = std::max(max_scalar, std::fabs(double(clara::exp_poly(x)) - ref) / ref);
  }
#if defined(__AVX512F__)
  for (int k = 0; k + 16 <= steps; k += 16) {
    alignas(64) float xs[16], ys[16];
    for (int j = 0; j < 16; ++j) xs[j] = -87.f + 175.f * float(k + j) / float(steps);
    _mm512_store_ps(ys, clara::exp512(_mm512_load_ps(xs)));
    for (int j = 0; j < 16; ++j) {
      const double ref = std::exp(double(xs[j]));
      max_vec = std::max(max_vec, std::fabs(double(ys[j]) - ref) / ref);
    }
  }
#endif
  const double bound = 3.0 * std::ldexp(1.0, -24);
  std::printf("exp_poly max relative error vs std::exp on [-87, 88]: scalar %.3g, avx512 %.3g (bound %.3g)\n",
              max_scalar, max_vec, bound);
  if (max_scalar > bound || max_vec > bound) ++failures;
  if (clara::exp_poly(0.f) != 1.f) ++failures, std::printf("FAIL exp_poly(0) != 1\n");
  // clamped ends: finite and positive, no infinities
  if (!(clara::exp_poly(-1000.f) > 0.f) || !std::isfinite(clara::exp_poly(1000.f))) ++failures, std::printf("FAIL clamp\n");
  if (failures) return 1;
  std::printf("vec_exp_test: ok\n");
  return 0;
}
