// One voxel of the resampling (transform_ops.h: resample): the padding rule and the nearest /
// trilinear sample with any coordinate. Shared by the CPU kernel (resample_cpu.cc, compiled
// with -ffp-contract=off) and the CUDA kernel (transforms_cuda.cu) as host+device inlines, so
// both compute the reference's (src/transforms/ops/resample.ts) arithmetic from one text.
#pragma once

#include <math.h>
#include <stdint.h>

#include "transforms/transform_ops.h"

#ifdef __CUDACC__
#define CLARA_HOST_DEVICE __host__ __device__
#else
#define CLARA_HOST_DEVICE
#endif

namespace clara {

struct ResampleGeom {
  int64_t ni, nj, nk;
};

// Maps a coordinate into range for border (clamp) and reflection (align_corners=False:
// reflect about -0.5 and d-0.5, then clamp), as torch.grid_sample does.
CLARA_HOST_DEVICE inline double resample_pad_coord(double x, int64_t d, Pad p) {
  if (p == Pad::Border) return x < 0 ? 0 : (x > d - 1 ? double(d - 1) : x);
  if (p == Pad::Reflection) {
    if (d == 1) return 0;
    double lo = -0.5, span = double(d);
    double t = fabs(x - lo);
    double flips = floor(t / span);
    double extra = t - flips * span;
    x = (static_cast<int64_t>(flips) % 2 == 0) ? lo + extra : lo + span - extra;
    return x < 0 ? 0 : (x > d - 1 ? double(d - 1) : x);
  }
  return x;
}

// One voxel with the full padding rule (any coordinate): nearest rounds half to even,
// trilinear sums the in-range taps with double weights.
CLARA_HOST_DEVICE inline float resample_voxel(const float* src, const ResampleGeom& g, double rx, double ry, double rz, Interp mode, Pad pad) {
  const double x = resample_pad_coord(rx, g.ni, pad), y = resample_pad_coord(ry, g.nj, pad), z = resample_pad_coord(rz, g.nk, pad);
  if (mode == Interp::Nearest) {
    const int64_t xi = static_cast<int64_t>(nearbyint(x));
    const int64_t yi = static_cast<int64_t>(nearbyint(y));
    const int64_t zi = static_cast<int64_t>(nearbyint(z));
    return (xi < 0 || yi < 0 || zi < 0 || xi >= g.ni || yi >= g.nj || zi >= g.nk) ? 0.f
                                                                                    : src[(xi * g.nj + yi) * g.nk + zi];
  }
  const double fx = floor(x), fy = floor(y), fz = floor(z);
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy), z0 = static_cast<int64_t>(fz);
  const double tx = x - fx, ty = y - fy, tz = z - fz;
  double acc = 0;
  for (int dx = 0; dx < 2; ++dx) {
    const int64_t xx = x0 + dx;
    const double wx = dx ? tx : 1 - tx;
    if (xx < 0 || xx >= g.ni || wx == 0) continue;
    for (int dy = 0; dy < 2; ++dy) {
      const int64_t yy = y0 + dy;
      const double wy = dy ? ty : 1 - ty;
      if (yy < 0 || yy >= g.nj || wy == 0) continue;
      const float* line = src + (xx * g.nj + yy) * g.nk;
      for (int dz = 0; dz < 2; ++dz) {
        const int64_t zz = z0 + dz;
        const double wz = dz ? tz : 1 - tz;
        if (zz < 0 || zz >= g.nk || wz == 0) continue;
        acc += wx * wy * wz * line[zz];
      }
    }
  }
  return static_cast<float>(acc);
}

}  // namespace clara

#undef CLARA_HOST_DEVICE
