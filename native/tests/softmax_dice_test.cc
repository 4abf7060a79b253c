// The fused softmax + Dice terms and their gradient against naive double-precision loops
// (forward) and central finite differences of Σ dy·f (gradient), with and without the
// background class, 1 and 3 threads (the sums must not depend on the thread count).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/softmax_dice.h"

static int failures = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL %s\n", what);
    ++failures;
  }
}

// Σ_{s, j >= c0} dy[s, j - c0] · f[s, j] in double
static double objective(const clara::SoftmaxDiceGeom& g, const std::vector<double>& x, const std::vector<float>& t,
                        const std::vector<float>& dy) {
  double total = 0;
  for (int64_t s = 0; s < g.n; ++s) {
    std::vector<double> tp(size_t(g.c)), ps(size_t(g.c)), gs(size_t(g.c));
    for (int64_t i = 0; i < g.v; ++i) {
      const size_t off = size_t((s * g.v + i) * g.c);
      double m = -1e300, sum = 0;
      for (int64_t j = 0; j < g.c; ++j) m = std::max(m, x[off + size_t(j)]);
      for (int64_t j = 0; j < g.c; ++j) sum += std::exp(x[off + size_t(j)] - m);
      for (int64_t j = 0; j < g.c; ++j) {
        const double p = std::exp(x[off + size_t(j)] - m) / sum;
        tp[size_t(j)] += p * t[off + size_t(j)];
        ps[size_t(j)] += p;
        gs[size_t(j)] += t[off + size_t(j)];
      }
    }
    for (int64_t j = g.c0; j < g.c; ++j) {
      const double f = 1 - (2 * tp[size_t(j)] + g.smooth_nr) / (ps[size_t(j)] + gs[size_t(j)] + g.smooth_dr);
      total += dy[size_t(s * (g.c - g.c0) + j - g.c0)] * f;
    }
  }
  return total;
}

static void test_case(int64_t n, int64_t v, int64_t c, int64_t c0, std::mt19937& rng) {
  const clara::SoftmaxDiceGeom g{n, v, c, c0, 1e-5f, 1e-5f};
  std::normal_distribution<float> nd(0.f, 1.5f);
  std::uniform_int_distribution<int64_t> cls(0, c - 1);
  const size_t size = static_cast<size_t>(n * v * c), cc = static_cast<size_t>(n * (c - c0));
  std::vector<float> x(size), t(size, 0.f), dy(cc), prob(size), stats(static_cast<size_t>(n * c * 3)), f(cc), dx(size);
  for (auto& e : x) e = nd(rng);
  for (int64_t r = 0; r < n * v; ++r) t[size_t(r * c + cls(rng))] = 1.f;
  for (auto& e : dy) e = nd(rng);
  std::vector<float> f3(cc), prob3(size), stats3(stats.size()), dx3(size);
  clara::set_num_threads(1);
  clara::softmax_dice_f32(g, x.data(), t.data(), prob.data(), stats.data(), f.data());
  clara::softmax_dice_grad_f32(g, dy.data(), prob.data(), t.data(), stats.data(), dx.data());
  clara::set_num_threads(3);
  clara::softmax_dice_f32(g, x.data(), t.data(), prob3.data(), stats3.data(), f3.data());
  clara::softmax_dice_grad_f32(g, dy.data(), prob3.data(), t.data(), stats3.data(), dx3.data());
  bool same = f == f3 && dx == dx3;
  // forward: f against the double objective with one-hot dy per term
  std::vector<double> xd(x.begin(), x.end());
  double ferr = 0;
  for (size_t q = 0; q < cc; ++q) {
    std::vector<float> e(cc, 0.f);
    e[q] = 1.f;
    ferr = std::max(ferr, std::fabs(objective(g, xd, t, e) - f[q]));
  }
  // gradient: central differences on a few logits
  double gerr = 0, gscale = 1e-12;
  for (size_t k = 0; k < size; k += std::max<size_t>(1, size / 23)) {
    const double h = 1e-4;
    std::vector<double> xp = xd, xm = xd;
    xp[k] += h;
    xm[k] -= h;
    const double fd = (objective(g, xp, t, dy) - objective(g, xm, t, dy)) / (2 * h);
    gerr = std::max(gerr, std::fabs(fd - dx[k]));
    gscale = std::max(gscale, std::fabs(fd));
  }
  char what[160];
  std::snprintf(what, sizeof what, "softmax_dice n %lld v %lld c %lld c0 %lld: f err %.3g, grad err %.3g (scale %.3g), same %d",
                (long long)n, (long long)v, (long long)c, (long long)c0, ferr, gerr, gscale, int(same));
  check(same && ferr < 1e-5 && gerr < 1e-3 * gscale + 1e-7, what);
}

int main() {
  std::mt19937 rng(13);
  test_case(2, 1000, 2, 1, rng);
  test_case(2, 1000, 2, 0, rng);
  test_case(1, 20001, 3, 1, rng);
  test_case(3, 77, 4, 0, rng);
  if (failures) return 1;
  std::printf("softmax_dice_test: ok\n");
  return 0;
}
