// AMX bf16 conv3d kernels (called directly, so a silent fallback cannot pass) against
// the naive loops on bf16-rounded inputs; the three-product fp32 mode against a
// float64 reference; the non-finite refusal; use_amp's per-pass choice between the tiles and
// fp32. Skips (77) where AMX is not usable.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/amx.h"
#include "kernels/conv3d.h"
#include "tests/conv3d_geom.h"
#include "kernels/conv3d_amx.h"

using clara::Conv3DGeom;

static int failures = 0;

// max |a - b| / max(1, max |b|) <= tol
static void compare(const char* what, const Conv3DGeom& g, const std::vector<float>& a, const std::vector<double>& b, double tol) {
  double maxerr = 0, maxref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    maxerr = std::max(maxerr, std::fabs(double(a[i]) - b[i]));
    maxref = std::max(maxref, std::fabs(b[i]));
  }
  const bool ok = maxerr <= tol * std::max(1.0, maxref);
  std::printf("%-5s %-22s n%d %dx%dx%d c%d->%d k%d s%d: max err %.3g (ref max %.3g)\n", ok ? "ok" : "FAIL", what, g.n, g.d,
              g.h, g.w, g.cin, g.cout, g.kd, g.sd, maxerr, maxref);
  if (!ok) ++failures;
}

// float64 loops over the same index relation as conv3d_*_naive
template <class F>
static void each_tap(const Conv3DGeom& g, F f) {
  for (int n = 0; n < g.n; ++n)
    for (int a = 0; a < g.od; ++a)
      for (int b = 0; b < g.oh; ++b)
        for (int c = 0; c < g.ow; ++c)
          for (int kd = 0; kd < g.kd; ++kd)
            for (int kh = 0; kh < g.kh; ++kh)
              for (int kw = 0; kw < g.kw; ++kw) {
                const int i = a * g.sd + kd - g.pf, j = b * g.sh + kh - g.pt, l = c * g.sw + kw - g.pl;
                if (i < 0 || j < 0 || l < 0 || i >= g.d || j >= g.h || l >= g.w) continue;
                f((((size_t(n) * g.d + i) * g.h + j) * g.w + l) * g.cin, ((size_t(kd) * g.kh + kh) * g.kw + kw) * g.cin * g.cout,
                  (((size_t(n) * g.od + a) * g.oh + b) * g.ow + c) * g.cout);
              }
}

// x, the filter and dy of g, uniform in [-1, 1]
struct Operands {
  size_t xs, ws, ys;
  std::vector<float> x, w, dy;
};
static Operands random_operands(const Conv3DGeom& g, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Operands o;
  o.xs = size_t(g.n) * g.d * g.h * g.w * g.cin;
  o.ws = size_t(g.kd) * g.kh * g.kw * g.cin * g.cout;
  o.ys = size_t(g.n) * g.od * g.oh * g.ow * g.cout;
  o.x.resize(o.xs);
  o.w.resize(o.ws);
  o.dy.resize(o.ys);
  for (auto* v : {&o.x, &o.w, &o.dy})
    for (auto& e : *v) e = u(rng);
  return o;
}

static void check_case(const Conv3DGeom& g, std::mt19937& rng) {
  Operands o = random_operands(g, rng);
  const size_t xs = o.xs, ws = o.ws, ys = o.ys;
  std::vector<float>&x = o.x, &w = o.w, &dy = o.dy;
  for (int terms : {1, 3}) {
    // terms 1: the reference sees bf16-rounded operands; 3: the exact fp32 ones
    std::vector<double> xr(xs), wr(ws), dyr(ys);
    for (size_t i = 0; i < xs; ++i) xr[i] = terms == 1 ? clara::round_bf16(x[i]) : x[i];
    for (size_t i = 0; i < ws; ++i) wr[i] = terms == 1 ? clara::round_bf16(w[i]) : w[i];
    for (size_t i = 0; i < ys; ++i) dyr[i] = terms == 1 ? clara::round_bf16(dy[i]) : dy[i];
    std::vector<double> yref(ys), dxref(xs), dwref(ws);
    each_tap(g, [&](size_t xo, size_t fo, size_t yo) {
      for (int ci = 0; ci < g.cin; ++ci)
        for (int co = 0; co < g.cout; ++co) {
          yref[yo + co] += xr[xo + ci] * wr[fo + size_t(ci) * g.cout + co];
          dxref[xo + ci] += dyr[yo + co] * wr[fo + size_t(ci) * g.cout + co];
          dwref[fo + size_t(ci) * g.cout + co] += xr[xo + ci] * dyr[yo + co];
        }
    });
    // terms 1: products exact in fp32, only the summation order differs (1e-5);
    // terms 3: each product within 2^-16 |x||w|: relative to the largest output, 1e-4
    const double tol = terms == 1 ? 1e-5 : 1e-4;
    std::vector<float> y(ys), dx(xs), dw(ws);
    std::string err;
    if (!clara::conv3d_amx_forward(g, x.data(), w.data(), y.data(), terms, &err)) ++failures, std::printf("FAIL forward not taken %s\n", err.c_str());
    if (!clara::conv3d_amx_backprop_input(g, dy.data(), w.data(), dx.data(), terms, &err)) ++failures, std::printf("FAIL backprop-input not taken %s\n", err.c_str());
    if (!clara::conv3d_amx_backprop_filter(g, x.data(), dy.data(), dw.data(), terms, &err)) ++failures, std::printf("FAIL backprop-filter not taken %s\n", err.c_str());
    compare(terms == 1 ? "forward bf16" : "forward 3xbf16", g, y, yref, tol);
    compare(terms == 1 ? "backprop-input bf16" : "backprop-input 3xbf16", g, dx, dxref, tol);
    compare(terms == 1 ? "backprop-filter bf16" : "backprop-filter 3xbf16", g, dw, dwref, tol);
  }
  // a non-finite operand is refused (the caller's kernels run instead)
  std::vector<float> y(ys), dx(xs), dw(ws);
  std::string err;
  x[xs / 2] = INFINITY;
  dy[ys / 3] = NAN;
  const bool f = clara::conv3d_amx_forward(g, x.data(), w.data(), y.data(), 1, &err);
  const bool bi = clara::conv3d_amx_backprop_input(g, dy.data(), w.data(), dx.data(), 1, &err);
  const bool bf = clara::conv3d_amx_backprop_filter(g, x.data(), dy.data(), dw.data(), 1, &err);
  const bool ok = !f && !bi && !bf && err.empty();
  std::printf("%-5s non-finite operands refused\n", ok ? "ok" : "FAIL");
  if (!ok) ++failures;
}

// use_amp (ConvPrecision::kAmp) through the public entry points: bitwise the bf16 result (and one
// more AMX call) for a pass conv3d_amx_pays_* accepts, bitwise the fp32 result (no AMX call) for one
// it declines.
static void check_amp_routing(const Conv3DGeom& g, std::mt19937& rng) {
  Operands o = random_operands(g, rng);
  const size_t xs = o.xs, ws = o.ws, ys = o.ys;
  const std::vector<float>&x = o.x, &w = o.w, &dy = o.dy;
  using P = clara::ConvPrecision;
  const bool pays[3] = {clara::conv3d_amx_pays_forward(g), clara::conv3d_amx_pays_backprop_input(g),
                        clara::conv3d_amx_pays_backprop_filter(g)};
  const char* names[3] = {"amp route forward", "amp route input grad", "amp route filter grad"};
  for (int pass = 0; pass < 3; ++pass) {
    auto run = [&](P p) {
      std::vector<float> out(pass == 0 ? ys : pass == 1 ? xs : ws);
      const std::string err = pass == 0   ? clara::conv3d_forward(g, x.data(), w.data(), out.data(), p)
                              : pass == 1 ? clara::conv3d_backprop_input(g, dy.data(), w.data(), out.data(), p)
                                          : clara::conv3d_backprop_filter(g, x.data(), dy.data(), out.data(), p);
      if (!err.empty()) std::printf("error: %s\n", err.c_str());
      return out;
    };
    const int64_t before = clara::conv3d_amx_calls(pass);
    const std::vector<float> amp = run(P::kAmp);
    const int64_t amx_calls = clara::conv3d_amx_calls(pass) - before;
    const std::vector<float> want = run(pays[pass] ? P::kBf16 : P::kFp32);
    const bool ok = amp == want && amx_calls == (pays[pass] ? 1 : 0);
    std::printf("%-5s %-22s n%d %dx%dx%d c%d->%d k%d s%d: %s, %lld AMX call(s)\n", ok ? "ok" : "FAIL", names[pass], g.n, g.d, g.h,
                g.w, g.cin, g.cout, g.kd, g.sd, pays[pass] ? "bf16 on AMX" : "fp32", (long long)amx_calls);
    if (!ok) ++failures;
  }
}

int main() {
  if (!clara::amx_usable()) {
    std::printf("skipped: AMX %s\n", clara::amx_reason().c_str());
    return 77;
  }
  std::mt19937 rng(4321);
  const int cases[][9] = {
      // n d h w cin k cout s same: channels that are not multiples of 16/32, K tails,
      // stride 2 and 3 (input-gradient phases, some without taps), even filters, pointwise,
      // rows of several pixel tiles with a partial last one, batch 2; operands over 1 MiB (the
      // filter gradient then splits the planes among the threads, partial filters summed); 1 and
      // 2 channels (the input gradient takes them where the summed side has 8 and more)
      {1, 5, 6, 7, 16, 3, 16, 1, 1}, {2, 7, 6, 9, 12, 3, 20, 2, 1}, {1, 5, 5, 21, 40, 3, 33, 1, 0},
      {1, 8, 8, 8, 8, 3, 8, 2, 0},   {2, 6, 5, 7, 9, 2, 11, 2, 0},  {1, 4, 4, 37, 32, 1, 17, 1, 1},
      {1, 10, 9, 11, 10, 3, 14, 3, 1}, {1, 4, 3, 50, 64, 3, 48, 1, 1}, {2, 5, 4, 33, 16, 3, 32, 2, 1},
      {1, 9, 8, 10, 1, 3, 16, 2, 1},   {1, 7, 6, 9, 2, 3, 20, 1, 1},  {2, 5, 6, 7, 2, 3, 2, 1, 1},
      {2, 14, 13, 22, 24, 3, 20, 1, 1}, {2, 20, 20, 30, 16, 3, 16, 1, 1}, {2, 26, 24, 30, 16, 3, 24, 2, 1},
  };
  for (int threads : {1, 2}) {
    clara::set_num_threads(threads);
    for (auto& c : cases) check_case(make_conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8] != 0), rng);
  }
  // use_amp's routing: 8 -> 16 channels on 2x6^3 outputs (1.5 M multiply-adds: fp32 everywhere);
  // on 2x16^3 (forward and input gradient on AMX; the filter gradient needs 16 of both: fp32),
  // 16 -> 32 on 12^3 (every pass on AMX), stride 2 with 8 -> 16 (the filter gradient fp32), 1x1x1
  // 32 -> 16 on 2x24^3 (14 M: AMX) and on 2x12^3 (1.8 M: fp32), 2 -> 16 stride 2 'valid' on
  // 2x17^3 (the input gradient into 2 channels at 0.9 M: AMX)
  const int amp_cases[][9] = {{2, 6, 6, 6, 8, 3, 16, 1, 1},      {2, 16, 16, 16, 8, 3, 16, 1, 1}, {1, 12, 12, 12, 16, 3, 32, 1, 1},
                              {2, 34, 34, 34, 8, 3, 16, 2, 0},   {2, 24, 24, 24, 32, 1, 16, 1, 1}, {2, 12, 12, 12, 32, 1, 16, 1, 1},
                              {2, 17, 17, 17, 2, 3, 16, 2, 0}};
  for (auto& c : amp_cases) check_amp_routing(make_conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8] != 0), rng);
  std::printf("AMX peak (1 thread, 0.1 s): %.0f GFLOP/s\n", clara::amx_peak_gflops(1, 0.1));
  if (failures) std::printf("%d FAILURES\n", failures);
  return failures ? 1 : 0;
}
