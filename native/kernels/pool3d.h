// 3D max / average pooling for NDHWC tensors and their gradients, with the
// window arithmetic of tfjs (computePool3DInfo: padding before = pf/pt/pl,
// windows clipped to the input; max ignores NaN and keeps the first maximum in
// the forward pass; the gradient routes to the last maximum, as tfjs does;
// average divides by the number of in-range elements, and so does its gradient).
#pragma once
#include <cstdint>

namespace clara {

struct Pool3DGeom {
  int n, d, h, w, c;   // input
  int fd, fh, fw;      // window
  int sd, sh, sw;      // strides
  int od, oh, ow;      // output
  int pf, pt, pl;      // padding before
};

void max_pool3d(const Pool3DGeom& g, const float* x, float* y);
void avg_pool3d(const Pool3DGeom& g, const float* x, float* y);
// dx has the input's shape; it is overwritten.
void max_pool3d_grad(const Pool3DGeom& g, const float* x, const float* dy, float* dx);
void avg_pool3d_grad(const Pool3DGeom& g, const float* dy, float* dx);

}  // namespace clara
