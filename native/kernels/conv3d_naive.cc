// Naive conv3d loops: the references of the ctest programs.
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

// ================================================================ naive refs
void conv3d_forward_naive(const Conv3DGeom& g, const float* x, const float* f, float* y) {
  for (int n = 0; n < g.n; ++n)
    for (int od = 0; od < g.od; ++od)
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow)
          for (int co = 0; co < g.cout; ++co) {
            double s = 0;
            for (int a = 0; a < g.kd; ++a)
              for (int b = 0; b < g.kh; ++b)
                for (int k = 0; k < g.kw; ++k) {
                  int id = od * g.sd + a - g.pf, ih = oh * g.sh + b - g.pt, iw = ow * g.sw + k - g.pl;
                  if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                  for (int ci = 0; ci < g.cin; ++ci)
                    s += double(x[(((int64_t(n) * g.d + id) * g.h + ih) * g.w + iw) * g.cin + ci]) *
                         f[((((int64_t(a) * g.kh + b) * g.kw + k) * g.cin) + ci) * g.cout + co];
                }
            y[(((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout + co] = float(s);
          }
}

void conv3d_backprop_input_naive(const Conv3DGeom& g, const float* dy, const float* f, float* dx) {
  std::vector<double> acc(size_t(g.n) * g.d * g.h * g.w * g.cin, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int od = 0; od < g.od; ++od)
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow)
          for (int a = 0; a < g.kd; ++a)
            for (int b = 0; b < g.kh; ++b)
              for (int k = 0; k < g.kw; ++k) {
                int id = od * g.sd + a - g.pf, ih = oh * g.sh + b - g.pt, iw = ow * g.sw + k - g.pl;
                if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                for (int ci = 0; ci < g.cin; ++ci) {
                  double s = 0;
                  for (int co = 0; co < g.cout; ++co)
                    s += double(dy[(((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout + co]) *
                         f[((((int64_t(a) * g.kh + b) * g.kw + k) * g.cin) + ci) * g.cout + co];
                  acc[(((int64_t(n) * g.d + id) * g.h + ih) * g.w + iw) * g.cin + ci] += s;
                }
              }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = float(acc[i]);
}

void conv3d_backprop_filter_naive(const Conv3DGeom& g, const float* x, const float* dy, float* df) {
  const size_t taps = size_t(g.kd) * g.kh * g.kw;
  std::vector<double> acc(taps * g.cin * g.cout, 0.0);
  for (int n = 0; n < g.n; ++n)
    for (int od = 0; od < g.od; ++od)
      for (int oh = 0; oh < g.oh; ++oh)
        for (int ow = 0; ow < g.ow; ++ow)
          for (int a = 0; a < g.kd; ++a)
            for (int b = 0; b < g.kh; ++b)
              for (int k = 0; k < g.kw; ++k) {
                int id = od * g.sd + a - g.pf, ih = oh * g.sh + b - g.pt, iw = ow * g.sw + k - g.pl;
                if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                for (int ci = 0; ci < g.cin; ++ci) {
                  double xv = x[(((int64_t(n) * g.d + id) * g.h + ih) * g.w + iw) * g.cin + ci];
                  for (int co = 0; co < g.cout; ++co)
                    acc[((((int64_t(a) * g.kh + b) * g.kw + k) * g.cin) + ci) * g.cout + co] +=
                        xv * dy[(((int64_t(n) * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout + co];
                }
              }
  for (size_t i = 0; i < acc.size(); ++i) df[i] = float(acc[i]);
}

}  // namespace clara
