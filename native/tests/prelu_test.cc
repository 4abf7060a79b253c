// PReLU forward and gradient against naive double-precision loops: shared and per-channel
// alpha, odd sizes, zeros and NaN in x (NaN y and dalpha, finite dx), 1 and 3 threads (dalpha must not depend on the
// thread count).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/prelu.h"

static int failures = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL %s\n", what);
    ++failures;
  }
}

static void test_case(int64_t rows, int64_t c, bool per_channel, std::mt19937& rng) {
  std::normal_distribution<float> g(0.f, 1.f);
  const int64_t n = rows * c, na = per_channel ? c : 1;
  const size_t sn = static_cast<size_t>(n), sa = static_cast<size_t>(na);
  std::vector<float> x(sn), dy(sn), alpha(sa);
  for (auto& v : x) v = g(rng);
  for (auto& v : dy) v = g(rng);
  for (auto& v : alpha) v = 0.25f + 0.1f * g(rng);
  if (n > 3) {
    x[0] = 0.f;
    x[2] = NAN;
  }
  std::vector<float> y(sn), dx(sn), da1(sa), da3(sa), dx3(sn);
  clara::set_num_threads(1);
  clara::prelu_f32(x.data(), alpha.data(), na, y.data(), n, c);
  clara::prelu_grad_f32(dy.data(), x.data(), alpha.data(), na, dx.data(), da1.data(), n, c);
  clara::set_num_threads(3);
  clara::prelu_grad_f32(dy.data(), x.data(), alpha.data(), na, dx3.data(), da3.data(), n, c);
  double err = 0;
  std::vector<double> da(sa, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ch = per_channel ? i % c : 0;
    const double a = alpha[size_t(ch)], v = x[size_t(i)], gi = dy[size_t(i)];
    const double want_y = v > 0 ? v : a * v, want_dx = v > 0 ? gi : gi * a;
    if (std::isnan(v)) {
      // y is NaN; dx takes the x <= 0 branch (dy * alpha, as PyTorch's and tfjs's where());
      // the NaN goes into dalpha, checked below
      if (!std::isnan(y[size_t(i)]) || std::fabs(want_dx - dx[size_t(i)]) > 1e-6) err = 1e9;
      continue;
    }
    if (!(v > 0)) da[size_t(ch)] += gi * v;
    err = std::max({err, std::fabs(want_y - y[size_t(i)]), std::fabs(want_dx - dx[size_t(i)])});
    if (dx[size_t(i)] != dx3[size_t(i)]) err = 1e9;
  }
  for (int64_t j = 0; j < na; ++j) {
    if (da1[size_t(j)] != da3[size_t(j)] && !(std::isnan(da1[size_t(j)]) && std::isnan(da3[size_t(j)]))) err = 1e9;
    const bool has_nan = n > 3 && (per_channel ? j == 2 % c : true);
    if (has_nan) {
      if (!std::isnan(da1[size_t(j)])) err = 1e9;
    } else {
      err = std::max(err, std::fabs(da[size_t(j)] - da1[size_t(j)]) / (1 + std::sqrt(double(n))));
    }
  }
  char what[128];
  std::snprintf(what, sizeof what, "prelu rows %lld c %lld per_channel %d err %.3g", (long long)rows, (long long)c,
                int(per_channel), err);
  check(err < 1e-5, what);
}

int main() {
  std::mt19937 rng(5);
  const int64_t cases[][2] = {{1, 1}, {7, 3}, {100003, 1}, {4099, 16}, {20000, 33}, {0, 8}, {30001, 8}, {5000, 64}};
  for (auto& c : cases) {
    test_case(c[0], c[1], false, rng);
    test_case(c[0], c[1], true, rng);
  }
  if (failures) return 1;
  std::printf("prelu_test: ok\n");
  return 0;
}
