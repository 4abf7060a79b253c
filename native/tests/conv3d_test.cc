// Blocked conv3d kernels (fp32 and bf16) against the naive loops on odd shapes.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include <cstring>

#include "kernels/conv3d.h"
#include "tests/conv3d_geom.h"

using clara::Conv3DGeom;

static int failures = 0;

static void compare(const char* what, const Conv3DGeom& g, const std::vector<float>& a,
                    const std::vector<float>& b, double tol) {
  double maxerr = 0, maxref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    maxerr = std::max(maxerr, std::fabs(double(a[i]) - b[i]));
    maxref = std::max(maxref, std::fabs(double(b[i])));
  }
  bool ok = maxerr <= tol * std::max(1.0, maxref);
  std::printf("%-5s %-16s n%d %dx%dx%d c%d->%d k%d s%d: max err %.3g (ref max %.3g)\n", ok ? "ok" : "FAIL",
              what, g.n, g.d, g.h, g.w, g.cin, g.cout, g.kd, g.sd, maxerr, maxref);
  if (!ok) ++failures;
}

static void check_case(const Conv3DGeom& g, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  size_t xs = size_t(g.n) * g.d * g.h * g.w * g.cin, ws = size_t(g.kd) * g.kh * g.kw * g.cin * g.cout,
         ys = size_t(g.n) * g.od * g.oh * g.ow * g.cout;
  std::vector<float> x(xs), w(ws), dy(ys);
  for (auto& v : x) v = u(rng);
  for (auto& v : w) v = u(rng);
  for (auto& v : dy) v = u(rng);
  // 0: fp32, 1: bf16 emulated (rounded inputs, fp32 FMA), 2: bf16 dot products where compiled in
  for (int prec = 0; prec < (clara::conv3d_has_bf16_dot() ? 3 : 2); ++prec) {
    auto p = prec ? clara::ConvPrecision::kBf16 : clara::ConvPrecision::kFp32;
    clara::conv3d_use_bf16_dot(prec == 2);
    std::vector<float> xr = x, wr = w, dyr = dy;
    if (prec) {
      for (auto& v : xr) v = clara::round_bf16(v);
      for (auto& v : wr) v = clara::round_bf16(v);
      for (auto& v : dyr) v = clara::round_bf16(v);
    }
    const double tol = 1e-5;
    std::vector<float> y(ys), yref(ys);
    clara::conv3d_forward(g, x.data(), w.data(), y.data(), p);
    clara::conv3d_forward_naive(g, xr.data(), wr.data(), yref.data());
    compare(prec == 2 ? "fwd bf16dot" : prec ? "fwd bf16" : "fwd fp32", g, y, yref, tol);
    std::vector<float> dx(xs), dxref(xs);
    clara::conv3d_backprop_input(g, dy.data(), w.data(), dx.data(), p);
    clara::conv3d_backprop_input_naive(g, dyr.data(), wr.data(), dxref.data());
    compare(prec == 2 ? "bwd-in bf16dot" : prec ? "bwd-in bf16" : "bwd-in fp32", g, dx, dxref, tol);
    std::vector<float> dw(ws), dwref(ws);
    clara::conv3d_backprop_filter(g, x.data(), dy.data(), dw.data(), p);
    clara::conv3d_backprop_filter_naive(g, xr.data(), dyr.data(), dwref.data());
    compare(prec == 2 ? "bwd-filter bf16dot" : prec ? "bwd-filter bf16" : "bwd-filter fp32", g, dw, dwref, tol);
  }
  clara::conv3d_bf16_dot_auto();
}

int main() {
  std::mt19937 rng(1234);
  const int cases[][9] = {
      // n d h w cin k cout s same
      {1, 5, 6, 7, 3, 3, 5, 1, 1},   {2, 7, 5, 9, 1, 3, 8, 1, 1},   {2, 9, 8, 7, 5, 3, 17, 2, 1},
      {1, 8, 8, 8, 16, 3, 16, 1, 1}, {1, 6, 7, 13, 9, 3, 33, 1, 0}, {2, 7, 7, 7, 4, 2, 6, 2, 0},
      {1, 6, 6, 6, 32, 3, 64, 1, 1}, {1, 5, 5, 30, 3, 1, 80, 1, 1}, {1, 9, 9, 9, 7, 3, 3, 2, 0},
      // strided input gradients by phases (stride 3, even filter, phases without taps)
      {1, 10, 9, 11, 5, 3, 7, 3, 1}, {2, 9, 8, 10, 3, 4, 18, 2, 1}, {1, 7, 6, 5, 4, 1, 6, 2, 0},
      {1, 8, 9, 7, 6, 2, 5, 3, 0},
      // wide rows (several register tiles, border tiles on both sides), 'valid',
      // width-2 filters, batch > 1, channel counts that are not multiples of 16
      {2, 4, 5, 37, 16, 3, 16, 1, 1}, {1, 3, 4, 41, 32, 3, 32, 1, 0}, {2, 4, 3, 35, 13, 2, 21, 1, 1},
      {1, 5, 4, 33, 17, 3, 40, 1, 1}, {2, 5, 6, 39, 16, 3, 32, 2, 1}, {1, 6, 5, 27, 32, 3, 16, 2, 1},
      {1, 4, 3, 30, 24, 3, 64, 1, 1}, {1, 3, 3, 2, 16, 3, 16, 1, 1},  {2, 7, 6, 21, 6, 3, 12, 2, 0},
      // small channel counts: pointwise and one-input-channel filter gradients
      {2, 5, 6, 7, 16, 1, 2, 1, 1},  {1, 4, 5, 6, 3, 1, 12, 1, 0},  {2, 9, 8, 7, 1, 3, 20, 2, 1},
      // pointwise with cin*cout <= 16 (one-vector filter gradient) and rows packed into a vector
      {2, 5, 6, 7, 8, 1, 2, 1, 1},   {1, 3, 5, 7, 4, 1, 3, 1, 1},   {1, 3, 3, 5, 2, 1, 1, 1, 0},
      // channel-pair tiles (<= 8 output channels, even input channels): forward and
      // input gradient, wide rows, stride 2, width-2 filters, 'valid', CI 8/16/other
      {2, 6, 7, 35, 8, 3, 8, 1, 1},  {1, 5, 6, 19, 24, 3, 8, 1, 1}, {1, 4, 5, 33, 8, 3, 16, 1, 1},
      {2, 7, 6, 23, 6, 3, 5, 2, 1},  {1, 5, 5, 17, 10, 2, 7, 1, 0}, {1, 6, 5, 30, 4, 3, 8, 2, 1},
      {1, 3, 4, 5, 2, 3, 2, 1, 1},   {1, 5, 6, 21, 12, 3, 5, 1, 0}, {2, 4, 5, 9, 3, 3, 7, 1, 1},
      // a pair block after whole vectors (24, 40 output channels; input gradient of 24 -> 8)
      {1, 4, 5, 27, 8, 3, 24, 1, 1},  {2, 5, 4, 19, 6, 3, 40, 2, 1}, {1, 5, 4, 22, 24, 3, 8, 1, 0},
      // one input channel, <= 8 output channels (pixel-pair forward): odd widths, 'valid'
      {2, 5, 6, 29, 1, 3, 8, 1, 1},  {1, 4, 5, 26, 1, 3, 5, 1, 0},  {1, 3, 3, 3, 1, 3, 2, 1, 1},
      // planar filter gradient (2-8 input channels, cin * cout <= 16, conv3d_planar.cc): whole
      // and masked 16-pixel blocks, stride 2 (width phases), 'valid', width-1 and -2 filters
      {2, 5, 6, 40, 2, 3, 2, 1, 1},  {1, 7, 6, 37, 2, 3, 2, 2, 0},  {2, 4, 5, 33, 4, 2, 4, 2, 1},
      {1, 6, 5, 19, 8, 3, 2, 2, 1},  {1, 4, 4, 21, 2, 3, 8, 1, 0},  {2, 3, 4, 17, 2, 1, 3, 2, 1},
      // planar forward and stride-1 input gradient (<= 4 output / input channels): rows of
      // several 64-pixel groups, stride 2
      {1, 3, 3, 70, 2, 3, 2, 1, 1},  {1, 3, 4, 133, 3, 3, 4, 2, 1}, {2, 4, 3, 66, 16, 3, 1, 1, 0},
      // planar filter gradient of one input channel at width stride 2 (a UNet's first 1 -> 8)
      {2, 6, 5, 34, 1, 3, 8, 2, 0},  {1, 5, 4, 19, 1, 3, 5, 2, 1},
  };
  for (int threads : {1, 2}) {
    clara::set_num_threads(threads);
    for (auto& c : cases) check_case(make_conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8] != 0), rng);
  }
  {  // the vectorized rounding equals the scalar one, specials included
    std::vector<float> v(37), r(37);
    std::uniform_real_distribution<float> u(-1e3f, 1e3f);
    for (auto& e : v) e = u(rng);
    v[0] = std::nanf(""); v[1] = -INFINITY; v[2] = INFINITY; v[3] = 1.f + 1.f / 256; v[4] = 1e-40f; v[5] = -0.f;
    uint32_t snan = 0x7f800001u;
    std::memcpy(&v[6], &snan, 4);
    clara::round_bf16_copy(v.data(), r.data(), int64_t(v.size()));
    int bad = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      float e = clara::round_bf16(v[i]);
      if (std::memcmp(&e, &r[i], 4) != 0) ++bad;
    }
    std::printf("%-5s round_bf16_copy vs round_bf16 (37 values, NaN/inf/denormal/ties)\n", bad ? "FAIL" : "ok");
    failures += bad;
  }
  std::printf("bf16 dot instructions: %s\n", clara::conv3d_has_bf16_dot() ? "yes" : "no (emulated)");
  if (failures) std::printf("%d FAILURES\n", failures);
  return failures ? 1 : 0;
}
