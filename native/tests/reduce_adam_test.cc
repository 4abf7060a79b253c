// The middle-axis sum and the one-pass Adam update against naive double-precision loops, on odd
// sizes and 1 and 3 threads (the sum must not depend on the thread count).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/adam.h"
#include "kernels/reduce.h"

static int failures = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL %s\n", what);
    ++failures;
  }
}

static void test_sum(int64_t outer, int64_t mid, int64_t inner, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> x(size_t(outer * mid * inner));
  for (auto& v : x) v = u(rng);
  std::vector<float> out1(size_t(outer * inner)), out3(size_t(outer * inner));
  clara::set_num_threads(1);
  clara::sum_middle_f32(x.data(), outer, mid, inner, out1.data());
  clara::set_num_threads(3);
  clara::sum_middle_f32(x.data(), outer, mid, inner, out3.data());
  double maxerr = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t m = 0; m < mid; ++m) s += x[size_t((o * mid + m) * inner + i)];
      maxerr = std::max(maxerr, std::fabs(s - out1[size_t(o * inner + i)]) / (1 + std::sqrt(double(mid))));
      if (out1[size_t(o * inner + i)] != out3[size_t(o * inner + i)]) maxerr = 1e9;
    }
  char what[128];
  std::snprintf(what, sizeof what, "sum_middle [%lld, %lld, %lld] err %.3g", (long long)outer, (long long)mid,
                (long long)inner, maxerr);
  check(maxerr < 1e-5, what);
}

static void test_adam(bool decoupled, double wd) {
  const int n = 1001;
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> p(n), m(n), v(n), gr(n), po(n), mo(n), vo(n);
  for (int i = 0; i < n; ++i) {
    p[i] = g(rng);
    m[i] = 0.1f * g(rng);
    v[i] = std::fabs(0.01f * g(rng));
    gr[i] = g(rng);
  }
  clara::AdamStep s{1e-3, 0.9, 0.999, 1e-8, 1 - std::pow(0.9, 3), 1 - std::pow(0.999, 3), wd, decoupled};
  clara::adam_f32(s, p.data(), m.data(), v.data(), gr.data(), po.data(), mo.data(), vo.data(), n);
  double maxerr = 0;
  for (int i = 0; i < n; ++i) {
    double pi = p[i], gi = gr[i];
    if (decoupled) pi *= 1 - s.lr * wd;
    else gi += wd * p[i];
    double mi = m[i] * s.beta1 + gi * (1 - s.beta1), vi = v[i] * s.beta2 + gi * gi * (1 - s.beta2);
    double pn = pi - mi / (std::sqrt(vi) / std::sqrt(s.bias_correction2) + s.eps) * (s.lr / s.bias_correction1);
    maxerr = std::max({maxerr, std::fabs(pn - po[i]), std::fabs(mi - mo[i]), std::fabs(vi - vo[i])});
  }
  char what[96];
  std::snprintf(what, sizeof what, "adam decoupled=%d wd=%g err %.3g", int(decoupled), wd, maxerr);
  check(maxerr < 1e-6, what);
}

// The multi-tensor in-place update equals the one-tensor update bit for bit, on sizes around
// its block length and at 1 and 3 threads.
static void test_adam_multi(bool decoupled, double wd) {
  const int64_t sizes[] = {1, 7, 16384, 16385, 40000, 3};
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.f, 1.f);
  clara::AdamStep s{2e-3, 0.9, 0.999, 1e-8, 1 - std::pow(0.9, 4), 1 - std::pow(0.999, 4), wd, decoupled};
  for (int threads : {1, 3}) {
    clara::set_num_threads(threads);
    std::vector<std::vector<float>> p, m, v, gr, po, mo, vo;
    std::vector<clara::AdamTensor> ts;
    for (int64_t n : sizes) {
      p.emplace_back(size_t(n));
      m.emplace_back(size_t(n));
      v.emplace_back(size_t(n));
      gr.emplace_back(size_t(n));
      for (int64_t i = 0; i < n; ++i) {
        p.back()[size_t(i)] = g(rng);
        m.back()[size_t(i)] = 0.1f * g(rng);
        v.back()[size_t(i)] = std::fabs(0.01f * g(rng));
        gr.back()[size_t(i)] = g(rng);
      }
      po.emplace_back(size_t(n));
      mo.emplace_back(size_t(n));
      vo.emplace_back(size_t(n));
      clara::adam_f32(s, p.back().data(), m.back().data(), v.back().data(), gr.back().data(), po.back().data(),
                      mo.back().data(), vo.back().data(), n);
    }
    for (size_t t = 0; t < p.size(); ++t) ts.push_back({p[t].data(), m[t].data(), v[t].data(), gr[t].data(), sizes[t]});
    clara::adam_f32_multi(s, ts.data(), int64_t(ts.size()));
    bool same = true;
    for (size_t t = 0; t < p.size(); ++t) same = same && p[t] == po[t] && m[t] == mo[t] && v[t] == vo[t];
    char what[96];
    std::snprintf(what, sizeof what, "adam multi in place decoupled=%d wd=%g threads=%d", int(decoupled), wd, threads);
    check(same, what);
  }
}

int main() {
  std::mt19937 rng(11);
  const int64_t cases[][3] = {{1, 1, 1}, {1, 100003, 1}, {3, 777, 1}, {1, 70001, 5}, {2, 4099, 33}, {5, 3, 7}, {1, 2, 40000}, {4, 0, 3}};
  for (auto& c : cases) test_sum(c[0], c[1], c[2], rng);
  test_adam(false, 0);
  test_adam(false, 0.01);
  test_adam(true, 0.01);
  test_adam_multi(false, 0.01);
  test_adam_multi(true, 0.01);
  if (failures) return 1;
  std::printf("reduce_adam_test: ok\n");
  return 0;
}
