// Trilinear / nearest resampling through a voxel-to-voxel affine (CPU).
#include <cmath>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {
namespace {

// Maps a coordinate into range for border (clamp) and reflection (align_corners=False:
// reflect about -0.5 and d-0.5, then clamp), as torch.grid_sample does.
inline double pad_coord(double x, int64_t d, Pad p) {
  if (p == Pad::Border) return x < 0 ? 0 : (x > d - 1 ? double(d - 1) : x);
  if (p == Pad::Reflection) {
    if (d == 1) return 0;
    double lo = -0.5, span = double(d);
    double t = std::fabs(x - lo);
    double flips = std::floor(t / span);
    double extra = t - flips * span;
    x = (static_cast<int64_t>(flips) % 2 == 0) ? lo + extra : lo + span - extra;
    return x < 0 ? 0 : (x > d - 1 ? double(d - 1) : x);
  }
  return x;
}

}  // namespace

void resample_cpu(const ResampleArgs& a) {
  const int64_t ni = a.in_shape[0], nj = a.in_shape[1], nk = a.in_shape[2];
  const int64_t oi = a.out_shape[0], oj = a.out_shape[1], ok = a.out_shape[2];
  const int64_t in_sp = ni * nj * nk, out_sp = oi * oj * ok;
  const double* m = a.xform;
  parallel_for(a.channels * oi * oj, 4, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / (oi * oj), ij = row % (oi * oj), i = ij / oj, j = ij % oj;
      const float* src = a.in + c * in_sp;
      float* dst = a.out + c * out_sp + ij * ok;
      const double bx = m[0] * i + m[1] * j + m[3];
      const double by = m[4] * i + m[5] * j + m[7];
      const double bz = m[8] * i + m[9] * j + m[11];
      for (int64_t k = 0; k < ok; ++k) {
        const double rx = bx + m[2] * k, ry = by + m[6] * k, rz = bz + m[10] * k;
        if (a.mode == Interp::Linear && rx >= 0 && ry >= 0 && rz >= 0 && rx < ni - 1 && ry < nj - 1 && rz < nk - 1) {
          // interior fast path (no padding rule applies): 8 taps as nested lerps in double
          const int64_t x0 = static_cast<int64_t>(rx), y0 = static_cast<int64_t>(ry), z0 = static_cast<int64_t>(rz);
          const double tx = rx - x0, ty = ry - y0, tz = rz - z0;
          const float* p00 = src + (x0 * nj + y0) * nk + z0;
          const float* p01 = p00 + nk;
          const float* p10 = p00 + nj * nk;
          const float* p11 = p10 + nk;
          const double c00 = p00[0] + tz * (double(p00[1]) - p00[0]), c01 = p01[0] + tz * (double(p01[1]) - p01[0]);
          const double c10 = p10[0] + tz * (double(p10[1]) - p10[0]), c11 = p11[0] + tz * (double(p11[1]) - p11[0]);
          const double c0 = c00 + ty * (c01 - c00), c1 = c10 + ty * (c11 - c10);
          dst[k] = static_cast<float>(c0 + tx * (c1 - c0));
          continue;
        }
        double x = pad_coord(rx, ni, a.padding);
        double y = pad_coord(ry, nj, a.padding);
        double z = pad_coord(rz, nk, a.padding);
        if (a.mode == Interp::Nearest) {
          const int64_t xi = static_cast<int64_t>(std::nearbyint(x));
          const int64_t yi = static_cast<int64_t>(std::nearbyint(y));
          const int64_t zi = static_cast<int64_t>(std::nearbyint(z));
          dst[k] = (xi < 0 || yi < 0 || zi < 0 || xi >= ni || yi >= nj || zi >= nk) ? 0.f
                                                                                      : src[(xi * nj + yi) * nk + zi];
          continue;
        }
        const double fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
        const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy), z0 = static_cast<int64_t>(fz);
        const double tx = x - fx, ty = y - fy, tz = z - fz;
        if (x0 >= 0 && y0 >= 0 && z0 >= 0 && x0 < ni - 1 && y0 < nj - 1 && z0 < nk - 1) {
          // interior: all 8 taps exist (same sum order as the general path)
          const float* p00 = src + (x0 * nj + y0) * nk + z0;
          const float* p01 = p00 + nk;
          const float* p10 = p00 + nj * nk;
          const float* p11 = p10 + nk;
          const double ux = 1 - tx, uy = 1 - ty, uz = 1 - tz;
          double acc = 0;
          acc += ux * uy * uz * p00[0]; acc += ux * uy * tz * p00[1];
          acc += ux * ty * uz * p01[0]; acc += ux * ty * tz * p01[1];
          acc += tx * uy * uz * p10[0]; acc += tx * uy * tz * p10[1];
          acc += tx * ty * uz * p11[0]; acc += tx * ty * tz * p11[1];
          dst[k] = static_cast<float>(acc);
          continue;
        }
        double acc = 0;
        for (int dx = 0; dx < 2; ++dx) {
          const int64_t xx = x0 + dx;
          const double wx = dx ? tx : 1 - tx;
          if (xx < 0 || xx >= ni || wx == 0) continue;
          for (int dy = 0; dy < 2; ++dy) {
            const int64_t yy = y0 + dy;
            const double wy = dy ? ty : 1 - ty;
            if (yy < 0 || yy >= nj || wy == 0) continue;
            const float* line = src + (xx * nj + yy) * nk;
            for (int dz = 0; dz < 2; ++dz) {
              const int64_t zz = z0 + dz;
              const double wz = dz ? tz : 1 - tz;
              if (zz < 0 || zz >= nk || wz == 0) continue;
              acc += wx * wy * wz * line[zz];
            }
          }
        }
        dst[k] = static_cast<float>(acc);
      }
    }
  });
}

}  // namespace clara
