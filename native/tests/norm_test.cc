// Group / instance / batch normalisation (and its fused ReLU) against a double-precision
// reference: the statistics (also on data far from zero, where one-pass sums would cancel), the
// output, dw and db against their closed forms, dx against central differences of Σ dy·y, and
// identical results on 1 and 3 threads.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/norm.h"

static int failures = 0;

static void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

struct Ref {
  std::vector<double> mean, var, y;
};

static Ref forward(const clara::NormGeom& n, const std::vector<double>& x, const float* w, const float* b, bool relu) {
  const int64_t per = n.c / n.g;
  Ref r{std::vector<double>(size_t(n.s * n.g)), std::vector<double>(size_t(n.s * n.g)), std::vector<double>(x.size())};
  for (int64_t s = 0; s < n.s; ++s)
    for (int64_t g = 0; g < n.g; ++g) {
      double m = 0, q = 0;
      for (int64_t v = 0; v < n.v; ++v)
        for (int64_t c = g * per; c < (g + 1) * per; ++c) m += x[size_t((s * n.v + v) * n.c + c)];
      m /= double(n.v * per);
      for (int64_t v = 0; v < n.v; ++v)
        for (int64_t c = g * per; c < (g + 1) * per; ++c) q += std::pow(x[size_t((s * n.v + v) * n.c + c)] - m, 2);
      q /= double(n.v * per);
      r.mean[size_t(s * n.g + g)] = m;
      r.var[size_t(s * n.g + g)] = q;
      for (int64_t v = 0; v < n.v; ++v)
        for (int64_t c = g * per; c < (g + 1) * per; ++c) {
          const size_t i = size_t((s * n.v + v) * n.c + c);
          double y = (x[i] - m) / std::sqrt(q + double(n.eps));
          if (w) y = y * w[c] + b[c];
          r.y[i] = relu && y < 0 ? 0 : y;
        }
    }
  return r;
}

static void test_case(int64_t S, int64_t V, int64_t C, int64_t G, bool affine, bool relu, float offset, std::mt19937& rng) {
  const clara::NormGeom n{S, V, C, G, 1e-5f};
  std::normal_distribution<float> nd(0.f, 1.f);
  const size_t size = size_t(S * V * C);
  std::vector<float> x(size), dy(size), w(static_cast<size_t>(C)), b(static_cast<size_t>(C));
  for (size_t i = 0; i < size; ++i) x[i] = offset + nd(rng) * (1.f + float(i % size_t(C)) * 0.1f);
  for (auto& e : dy) e = nd(rng);
  for (auto& e : w) e = 1.f + 0.3f * nd(rng);
  for (auto& e : b) e = 0.2f * nd(rng);
  const float* wp = affine ? w.data() : nullptr;
  const float* bp = affine ? b.data() : nullptr;
  std::vector<float> y(size), mean(static_cast<size_t>(S * G)), var(static_cast<size_t>(S * G)), dx(size), dw(static_cast<size_t>(C)), db(static_cast<size_t>(C));
  std::vector<float> y3(size), mean3(mean.size()), var3(var.size()), dx3(size), dw3(dw.size()), db3(db.size());
  clara::set_num_threads(1);
  clara::group_norm_f32(n, x.data(), wp, bp, y.data(), mean.data(), var.data(), relu);
  clara::group_norm_grad_f32(n, dy.data(), x.data(), mean.data(), var.data(), wp, bp, dx.data(), affine ? dw.data() : nullptr,
                             affine ? db.data() : nullptr, relu);
  clara::set_num_threads(3);
  clara::group_norm_f32(n, x.data(), wp, bp, y3.data(), mean3.data(), var3.data(), relu);
  clara::group_norm_grad_f32(n, dy.data(), x.data(), mean3.data(), var3.data(), wp, bp, dx3.data(),
                             affine ? dw3.data() : nullptr, affine ? db3.data() : nullptr, relu);
  const bool same = y == y3 && mean == mean3 && var == var3 && dx == dx3 && dw == dw3 && db == db3;
  const std::vector<double> xd(x.begin(), x.end());
  const Ref r = forward(n, xd, wp, bp, relu);
  double stat_err = 0, y_err = 0;
  for (size_t i = 0; i < mean.size(); ++i) {
    if (r.var[i] == 0) {  // one voxel: mean exact, variance 0
      stat_err = std::max({stat_err, std::fabs(mean[i] - r.mean[i]), double(var[i])});
      continue;
    }
    const double sd = std::sqrt(r.var[i]);
    stat_err = std::max({stat_err, std::fabs(mean[i] - r.mean[i]) / sd, std::fabs(var[i] - r.var[i]) / r.var[i]});
  }
  for (size_t i = 0; i < size; ++i) y_err = std::max(y_err, std::fabs(y[i] - r.y[i]));
  // dw, db: closed forms Σ dy·mask·xhat and Σ dy·mask per channel
  double wb_err = 0, wb_scale = 1e-9;
  if (affine) {
    const int64_t per = C / G;
    for (int64_t c = 0; c < C; ++c) {
      double sw = 0, sb = 0;
      for (int64_t s = 0; s < S; ++s)
        for (int64_t v = 0; v < V; ++v) {
          const size_t i = size_t((s * V + v) * C + c);
          const size_t sg = size_t(s * G + c / per);
          if (relu && !(r.y[i] > 0)) continue;
          sw += dy[i] * (xd[i] - r.mean[sg]) / std::sqrt(r.var[sg] + 1e-5);
          sb += dy[i];
        }
      wb_err = std::max({wb_err, std::fabs(dw[size_t(c)] - sw), std::fabs(db[size_t(c)] - sb)});
      wb_scale = std::max({wb_scale, std::fabs(sw), std::fabs(sb)});
    }
  }
  // dx: central differences of Σ dy·y at a few entries (away from the ReLU's kink)
  double g_err = 0, g_scale = 1e-9;
  for (size_t k = 0; k < size; k += std::max<size_t>(1, size / 17)) {
    if (relu && std::fabs(r.y[k]) < 1e-2) continue;
    const double h = 1e-3 * (1.0 + std::fabs(double(offset)));
    std::vector<double> xp = xd, xm = xd;
    xp[k] += h;
    xm[k] -= h;
    const Ref rp = forward(n, xp, wp, bp, relu), rm = forward(n, xm, wp, bp, relu);
    double fd = 0;
    for (size_t i = 0; i < size; ++i) fd += dy[i] * (rp.y[i] - rm.y[i]);
    fd /= 2 * h;
    g_err = std::max(g_err, std::fabs(fd - dx[k]));
    g_scale = std::max(g_scale, std::fabs(fd));
  }
  char what[200];
  std::snprintf(what, sizeof what,
                "norm s%lld v%lld c%lld g%lld affine %d relu %d offset %g: stats err %.2g, y err %.2g, dw/db err %.2g (scale "
                "%.2g), dx err %.2g (scale %.2g), same on 1 and 3 threads %d",
                (long long)S, (long long)V, (long long)C, (long long)G, int(affine), int(relu), double(offset), stat_err, y_err,
                wb_err, wb_scale, g_err, g_scale, int(same));
  check(same && stat_err < 2e-5 && y_err < 1e-4 && wb_err < 1e-4 * wb_scale + 1e-4 && g_err < 2e-3 * g_scale + 1e-4, what);
}

int main() {
  std::mt19937 rng(19);
  test_case(2, 1000, 8, 8, false, false, 0.f, rng);   // instance norm, 8 channels (flat runs of 8 rows)
  test_case(2, 1000, 8, 8, false, true, 0.f, rng);    // + fused ReLU
  test_case(2, 777, 12, 3, true, true, 0.5f, rng);    // group norm, affine, a row count off the blocks
  test_case(1, 3001, 2, 2, true, false, 0.f, rng);    // batch norm layout (S = 1), two channels
  test_case(3, 130, 64, 8, true, true, 0.f, rng);     // 64 channels (one row per run)
  test_case(2, 57, 80, 80, false, false, 0.f, rng);   // more channels than a run of 64
  test_case(2, 1, 5, 5, true, false, 0.f, rng);       // one voxel: variance 0
  test_case(2, 2000, 4, 2, false, false, 1000.f, rng);  // far from zero: the shifted sums keep the variance
  if (failures) return 1;
  std::printf("norm_test: ok\n");
  return 0;
}
