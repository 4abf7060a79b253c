// Group / instance / batch normalisation (and its folded ReLU / PReLU) against a double-precision
// reference: the statistics (also on data far from zero, where one-pass sums would cancel), the
// output, dw, db and dalpha against their closed forms, dx against central differences of
// Σ dy·y, and identical results on 1 and 3 threads.
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

using clara::NormAct;

struct Act {
  NormAct kind;
  std::vector<float> alpha;  // PReLU: one value or one per channel
  double apply(double y, int64_t c) const {
    if (kind == NormAct::kRelu) return y < 0 ? 0 : y;
    if (kind == NormAct::kPrelu) return y > 0 ? y : alpha[alpha.size() == 1 ? 0 : size_t(c)] * y;
    return y;
  }
};

// the norm's output before the activation ("pre") and after it (y)
static Ref forward(const clara::NormGeom& n, const std::vector<double>& x, const float* w, const float* b, const Act& act,
                   std::vector<double>* pre = nullptr) {
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
          if (pre) (*pre)[i] = y;
          r.y[i] = act.apply(y, c);
        }
    }
  return r;
}

static void test_case(int64_t S, int64_t V, int64_t C, int64_t G, bool affine, NormAct kind, float offset, std::mt19937& rng,
                      int64_t n_alpha = 1) {
  const bool relu = kind != NormAct::kNone;  // an activation with a kink at 0
  const clara::NormGeom n{S, V, C, G, 1e-5f};
  std::normal_distribution<float> nd(0.f, 1.f);
  const size_t size = size_t(S * V * C);
  std::vector<float> x(size), dy(size), w(static_cast<size_t>(C)), b(static_cast<size_t>(C));
  for (size_t i = 0; i < size; ++i) x[i] = offset + nd(rng) * (1.f + float(i % size_t(C)) * 0.1f);
  for (auto& e : dy) e = nd(rng);
  for (auto& e : w) e = 1.f + 0.3f * nd(rng);
  for (auto& e : b) e = 0.2f * nd(rng);
  Act act{kind, std::vector<float>(kind == NormAct::kPrelu ? static_cast<size_t>(n_alpha) : 0)};
  for (auto& e : act.alpha) e = 0.25f + 0.1f * nd(rng);
  const float* al = act.alpha.empty() ? nullptr : act.alpha.data();
  const int64_t na = int64_t(act.alpha.size());
  std::vector<float> da(act.alpha.size()), da3(act.alpha.size());
  const float* wp = affine ? w.data() : nullptr;
  const float* bp = affine ? b.data() : nullptr;
  std::vector<float> y(size), mean(static_cast<size_t>(S * G)), var(static_cast<size_t>(S * G)), dx(size), dw(static_cast<size_t>(C)), db(static_cast<size_t>(C));
  std::vector<float> y3(size), mean3(mean.size()), var3(var.size()), dx3(size), dw3(dw.size()), db3(db.size());
  clara::set_num_threads(1);
  clara::group_norm_f32(n, x.data(), wp, bp, y.data(), mean.data(), var.data(), kind, al, na);
  clara::group_norm_grad_f32(n, dy.data(), x.data(), mean.data(), var.data(), wp, bp, dx.data(), affine ? dw.data() : nullptr,
                             affine ? db.data() : nullptr, kind, al, na, da.data());
  clara::set_num_threads(3);
  clara::group_norm_f32(n, x.data(), wp, bp, y3.data(), mean3.data(), var3.data(), kind, al, na);
  clara::group_norm_grad_f32(n, dy.data(), x.data(), mean3.data(), var3.data(), wp, bp, dx3.data(),
                             affine ? dw3.data() : nullptr, affine ? db3.data() : nullptr, kind, al, na, da3.data());
  const bool same = y == y3 && mean == mean3 && var == var3 && dx == dx3 && dw == dw3 && db == db3 && da == da3;
  const std::vector<double> xd(x.begin(), x.end());
  std::vector<double> pre(size);
  const Ref r = forward(n, xd, wp, bp, act, &pre);
  double stat_err = 0, y_err = 0;
  for (size_t i = 0; i < mean.size(); ++i) {
    if (r.var[i] == 0) {  // one voxel: mean exact, variance 0
      stat_err = std::max({stat_err, std::fabs(mean[i] - r.mean[i]), double(var[i])});
      continue;
    }
    const double sd = std::sqrt(r.var[i]);
    // the mean is stored as a float: one ulp of it is representation, not error
    const double mean_err = std::max(0.0, std::fabs(mean[i] - r.mean[i]) - std::fabs(r.mean[i]) * std::ldexp(1.0, -23));
    stat_err = std::max({stat_err, mean_err / sd, std::fabs(var[i] - r.var[i]) / r.var[i]});
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
          // dy through the activation: ReLU 0 / PReLU alpha where its input is <= 0
          double g = dy[i];
          if (kind == NormAct::kRelu && !(pre[i] > 0)) g = 0;
          if (kind == NormAct::kPrelu && !(pre[i] > 0)) g *= act.alpha[act.alpha.size() == 1 ? 0 : size_t(c)];
          sw += g * (xd[i] - r.mean[sg]) / std::sqrt(r.var[sg] + 1e-5);
          sb += g;
        }
      wb_err = std::max({wb_err, std::fabs(dw[size_t(c)] - sw), std::fabs(db[size_t(c)] - sb)});
      wb_scale = std::max({wb_scale, std::fabs(sw), std::fabs(sb)});
    }
  }
  // dalpha: Σ dy·pre where pre <= 0 (per channel, or over all channels for one alpha)
  double da_err = 0, da_scale = 1e-9;
  for (size_t j = 0; j < act.alpha.size(); ++j) {
    double t = 0;
    for (size_t i = 0; i < size; ++i)
      if ((act.alpha.size() == 1 || int64_t(i % size_t(C)) == int64_t(j)) && !(pre[i] > 0)) t += dy[i] * pre[i];
    da_err = std::max(da_err, std::fabs(t - da[j]));
    da_scale = std::max(da_scale, std::fabs(t));
  }
  // dx: central differences of Σ dy·y at a few entries (away from the activation's kink)
  double g_err = 0, g_scale = 1e-9;
  for (size_t k = 0; k < size; k += std::max<size_t>(1, size / 17)) {
    if (relu && std::fabs(pre[k]) < 1e-2) continue;
    const double h = 1e-3 * (1.0 + std::fabs(double(offset)));
    std::vector<double> xp = xd, xm = xd;
    xp[k] += h;
    xm[k] -= h;
    const Ref rp = forward(n, xp, wp, bp, act), rm = forward(n, xm, wp, bp, act);
    double fd = 0;
    for (size_t i = 0; i < size; ++i) fd += dy[i] * (rp.y[i] - rm.y[i]);
    fd /= 2 * h;
    g_err = std::max(g_err, std::fabs(fd - dx[k]));
    g_scale = std::max(g_scale, std::fabs(fd));
  }
  char what[200];
  std::snprintf(what, sizeof what,
                "norm s%lld v%lld c%lld g%lld affine %d act %d (%lld alpha) offset %g: stats err %.2g, y err %.2g, dw/db err "
                "%.2g (scale %.2g), dalpha err %.2g (scale %.2g), dx err %.2g (scale %.2g), same on 1 and 3 threads %d",
                (long long)S, (long long)V, (long long)C, (long long)G, int(affine), int(kind), (long long)na, double(offset),
                stat_err, y_err, wb_err, wb_scale, da_err, da_scale, g_err, g_scale, int(same));
  check(same && stat_err < 2e-5 && y_err < 1e-4 && wb_err < 1e-4 * wb_scale + 1e-4 && da_err < 1e-4 * da_scale + 1e-4 &&
            g_err < 2e-3 * g_scale + 1e-4,
        what);
}

int main() {
  std::mt19937 rng(19);
  const NormAct none = NormAct::kNone, relu = NormAct::kRelu, prelu = NormAct::kPrelu;
  test_case(2, 1000, 8, 8, false, none, 0.f, rng);    // instance norm, 8 channels (flat runs of 8 rows)
  test_case(2, 1000, 8, 8, false, relu, 0.f, rng);    // + folded ReLU
  test_case(2, 1000, 8, 8, false, prelu, 0.f, rng);   // + folded PReLU, one alpha
  test_case(2, 777, 12, 3, true, relu, 0.5f, rng);    // group norm, affine, a row count off the blocks
  test_case(2, 777, 12, 3, true, prelu, 0.5f, rng, 12);  // + PReLU with one alpha per channel
  test_case(1, 3001, 2, 2, true, none, 0.f, rng);     // batch norm layout (S = 1), two channels
  test_case(1, 3001, 16, 16, true, prelu, 0.f, rng);  // batch norm + PReLU (the Clara UNet's ADN)
  test_case(3, 130, 64, 8, true, relu, 0.f, rng);     // 64 channels (one row per run)
  test_case(2, 57, 80, 80, false, none, 0.f, rng);    // more channels than a run of 64
  test_case(2, 57, 80, 80, true, prelu, 0.f, rng, 80);
  test_case(2, 1, 5, 5, true, none, 0.f, rng);        // one voxel: variance 0
  test_case(2, 2000, 4, 2, false, none, 1000.f, rng);  // far from zero: the shifted sums keep the variance
  if (failures) return 1;
  std::printf("norm_test: ok\n");
  return 0;
}
