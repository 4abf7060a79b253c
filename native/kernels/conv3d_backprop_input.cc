// conv3d gradient with respect to the input: AMX tiles where usable, the
// small-channel kernels, else the register-tile core (conv3d_tiles.cc) run as a
// stride-1 convolution of dy with the flipped, transposed filter (by phases for
// strides > 1, with transposed-width tiles for width stride 2).
#include "kernels/conv3d.h"
#include "kernels/conv3d_amx.h"
#include "kernels/conv3d_planar.h"
#include "kernels/conv3d_small.h"
#include "kernels/conv3d_tiles.h"
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
using namespace conv3d_detail;

// ================================================= strided input gradient
// With stride s the zero-dilated formulation multiplies mostly zeros (7/8 of
// the work at stride 2 in 3D). Instead the input positions are split by phase
// r = (i + pad) mod s along each axis: the positions of one phase receive only
// the taps k = r + s*j, so each phase is a dense stride-1 convolution of dy with
// that sub-filter (flipped, transposed), written straight to its positions of dx
// (the core's output strides are s times the dense ones).
Conv3DPhase conv3d_phase(int in, int k, int s, int pad, int r) {
  Conv3DPhase p;
  // smallest q with s*q + r - pad >= 0, largest with s*q + r - pad <= in - 1
  auto floor_div = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  const int qmin = -floor_div(r - pad, s);
  const int qmax = floor_div(in - 1 + pad - r, s);
  p.q0 = qmin;
  p.count = std::max(0, qmax - qmin + 1);
  p.taps = r < k ? (k - r + s - 1) / s : 0;
  p.pad = p.taps - 1 - qmin;
  return p;
}

static std::string backprop_input_phases(const Conv3DGeom& g, const float* dy, const float* filter, float* dx, bool bf16) {
  // bf16: round dy once for all phases (each phase reads it)
  const float* src = dy;
  if (bf16 && !conv3d_bf16_dot_in_use()) {
    const int64_t total = int64_t(g.n) * g.od * g.oh * g.ow * g.cout;
    float* r = scratch_as<float>(ScratchSlot::kGrad, size_t(total));
    if (r == nullptr) return "out of memory for the bf16-rounded gradient";
    round_copy_parallel(dy, r, total);
    src = r;
  }
  // AVX-512, width stride 2 with three width taps, fp32 or the emulation: the width
  // is handled by transposed-width tiles, so only depth and height are split in phases
  bool tw = false;
#if defined(__AVX512F__)
  tw = g.sw == 2 && g.kw == 3 && !(bf16 && conv3d_bf16_dot_in_use());
#endif
  for (int rd = 0; rd < g.sd; ++rd)
    for (int rh = 0; rh < g.sh; ++rh)
      for (int rw = 0; rw < (tw ? 1 : g.sw); ++rw) {
        const Conv3DPhase pd = conv3d_phase(g.d, g.kd, g.sd, g.pf, rd);
        const Conv3DPhase ph = conv3d_phase(g.h, g.kh, g.sh, g.pt, rh);
        const Conv3DPhase pw = conv3d_phase(g.w, g.kw, g.sw, g.pl, rw);
        if (pd.count == 0 || ph.count == 0 || pw.count == 0) continue;
        Core c{};
        c.n = g.n;
        c.id = g.od; c.ih = g.oh; c.iw = g.ow;
        // a phase without taps along an axis has kd (kh, kw) 0: the core writes zeros
        c.kd = pd.taps; c.kh = ph.taps; c.kw = tw ? g.kw : pw.taps;
        c.sd = c.sh = c.sw = 1;
        c.pf = pd.pad; c.pt = ph.pad; c.pl = tw ? g.pl : pw.pad;
        c.od = pd.count; c.oh = ph.count; c.ow = tw ? g.w : pw.count;
        c.tw = tw ? g.sw : 0;
        c.cout = g.cin;
        c.yW = int64_t(tw ? 1 : g.sw) * g.cin;
        c.yH = int64_t(g.sh) * g.w * g.cin;
        c.yD = int64_t(g.sd) * g.h * g.w * g.cin;
        c.yN = int64_t(g.d) * g.h * g.w * g.cin;
        const int id0 = g.sd * pd.q0 + rd - g.pf, ih0 = g.sh * ph.q0 + rh - g.pt, iw0 = tw ? 0 : g.sw * pw.q0 + rw - g.pl;
        float* y = dx + ((int64_t(id0) * g.h + ih0) * g.w + iw0) * g.cin;
        auto wsrc = [&](int t, int co, int ci) {
          // sub-filter tap (a,b,k), flipped, is the original tap r + s*(J-1-a) per axis;
          // transposed width: tap k is the original width tap k
          const int a = t / (c.kh * c.kw), b = (t / c.kw) % c.kh, k = t % c.kw;
          const int od = rd + g.sd * (c.kd - 1 - a), oh = rh + g.sh * (c.kh - 1 - b);
          const int ow = tw ? k : rw + g.sw * (c.kw - 1 - k);
          const int s = (od * g.kh + oh) * g.kw + ow;
          return filter[(int64_t(s) * g.cin + ci) * g.cout + co];
        };
        // the emulation reads the gradient rounded once above
        std::string err = run_forward(c, src, g.cout, bf16, wsrc, y, src != dy);
        if (!err.empty()) return err;
      }
  return "";
}

// ============================================================ input gradient
// dx = stride-1 convolution of dy (padding kernel-1-pad) with the flipped,
// transposed filter.
std::string conv3d_backprop_input(const Conv3DGeom& g, const float* dy, const float* filter,
                                  float* dx, ConvPrecision p) {
  if (int64_t(g.n) * g.d * g.h * g.w * g.cin == 0) return "";
  p = resolve_amp(p, conv3d_amx_pays_backprop_input(g));
  const bool bf16 = p == ConvPrecision::kBf16;
  if (const int terms = amx_terms(bf16); terms > 0 && conv3d_amx_takes_backprop_input(g)) {
    std::string err;
    if (conv3d_amx_backprop_input(g, dy, filter, dx, terms, &err) || !err.empty()) return err;
  }
  if (conv3d_small_pointwise(g)) return pointwise_backprop_input(g, dy, filter, dx, bf16);
  if (conv3d_backprop_input_planar(g)) return backprop_input_planar(g, dy, filter, dx, bf16);
  if (g.sd > 1 || g.sh > 1 || g.sw > 1) return backprop_input_phases(g, dy, filter, dx, bf16);
  Core c{};
  c.n = g.n;
  c.id = g.od; c.ih = g.oh; c.iw = g.ow;
  c.kd = g.kd; c.kh = g.kh; c.kw = g.kw;
  c.sd = c.sh = c.sw = 1;
  c.pf = g.kd - 1 - g.pf; c.pt = g.kh - 1 - g.pt; c.pl = g.kw - 1 - g.pl;
  c.od = g.d; c.oh = g.h; c.ow = g.w;
  c.cout = g.cin;
  dense_output(c);
  auto wsrc = [&](int t, int co, int ci) {
    // tap t = (a,b,k) of the flipped filter reads (kd-1-a, kh-1-b, kw-1-k).
    int a = t / (g.kh * g.kw), b = (t / g.kw) % g.kh, k = t % g.kw;
    int src = ((g.kd - 1 - a) * g.kh + (g.kh - 1 - b)) * g.kw + (g.kw - 1 - k);
    return filter[(int64_t(src) * g.cin + ci) * g.cout + co];
  };
  return run_forward(c, dy, g.cout, bf16, wsrc, dx);
}

}  // namespace clara
