// Test helper of the conv3d ctest programs: a cubic-filter geometry, 'same' (tfjs's
// padding: ceil(in / s) outputs, the smaller half of the total padding before) or 'valid'.
#pragma once
#include <algorithm>

#include "kernels/conv3d.h"

inline clara::Conv3DGeom make_conv_geom(int n, int d, int h, int w, int cin, int k, int cout, int s, bool same) {
  clara::Conv3DGeom g{};
  g.n = n; g.d = d; g.h = h; g.w = w; g.cin = cin; g.kd = g.kh = g.kw = k; g.cout = cout;
  g.sd = g.sh = g.sw = s;
  auto out = [&](int in) { return same ? (in + s - 1) / s : (in - k + s) / s; };
  g.od = out(d); g.oh = out(h); g.ow = out(w);
  auto pad = [&](int in, int o) { int t = std::max((o - 1) * s + k - in, 0); return same ? t / 2 : 0; };
  g.pf = pad(d, g.od); g.pt = pad(h, g.oh); g.pl = pad(w, g.ow);
  return g;
}
