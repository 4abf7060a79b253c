// conv3d forward pass: AMX tiles (bf16, or the opt-in fp32 mode) where usable and
// the channels fill them, the small-channel kernels (conv3d_small.cc), else the
// register-tile core (conv3d_tiles.cc) on fp32, bf16 dot products or the exact
// bf16 emulation.
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

// =================================================================== forward
std::string conv3d_forward(const Conv3DGeom& g, const float* x, const float* filter, float* y,
                           ConvPrecision p) {
  Core c{};
  c.n = g.n;
  c.id = g.d; c.ih = g.h; c.iw = g.w;
  c.kd = g.kd; c.kh = g.kh; c.kw = g.kw;
  c.sd = g.sd; c.sh = g.sh; c.sw = g.sw;
  c.pf = g.pf; c.pt = g.pt; c.pl = g.pl;
  c.od = g.od; c.oh = g.oh; c.ow = g.ow;
  c.cout = g.cout;
  dense_output(c);
  if (int64_t(g.n) * g.od * g.oh * g.ow * g.cout == 0) return "";
  p = resolve_amp(p, conv3d_amx_pays_forward(g));
  const bool bf16 = p == ConvPrecision::kBf16;
  if (const int terms = amx_terms(bf16); terms > 0 && conv3d_amx_takes_forward(g)) {
    std::string err;
    if (conv3d_amx_forward(g, x, filter, y, terms, &err) || !err.empty()) return err;
  }
  if (conv3d_small_pointwise(g)) return pointwise_forward(g, x, filter, y, bf16);
  if (conv3d_forward_c1(g)) return forward_c1(g, x, filter, y, bf16);
  if (conv3d_forward_planar(g)) return forward_planar(g, x, filter, y, bf16);
  auto wsrc = [&](int t, int ci, int co) { return filter[(int64_t(t) * g.cin + ci) * g.cout + co]; };
  return run_forward(c, x, g.cin, bf16, wsrc, y);
}

}  // namespace clara
