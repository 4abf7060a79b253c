// Convolutions with small channel counts, where the blocked kernels of conv3d.cc
// (output channels padded to 16, input channels padded to 4 for the filter
// gradient) waste most of their work: pointwise (1×1×1, stride 1, no padding)
// convolutions with fewer than 8 channels on either side run as a plain
// per-voxel matrix product, and the filter gradient of a one-input-channel
// 3×3×3 convolution keeps all 27 taps in registers; its forward with 8 or fewer
// output channels puts two output pixels in one vector. Called by conv3d.cc.
#pragma once
#include <string>

#include "kernels/conv3d.h"

namespace clara {

// True for a 1×1×1, stride-1, unpadded convolution with min(cin, cout) < 8.
bool conv3d_small_pointwise(const Conv3DGeom& g);
// y[p, co] = sum_ci x[p, ci] w[ci, co]; `round` rounds x and w to bf16 first.
std::string pointwise_forward(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round);
// dx[p, ci] = sum_co dy[p, co] w[ci, co].
std::string pointwise_backprop_input(const Conv3DGeom& g, const float* dy, const float* w, float* dx, bool round);
// dw[ci, co] = sum_p x[p, ci] dy[p, co].
std::string pointwise_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round);

// True when forward_c1 handles g (cin == 1, cout <= 8, 3×3×3, stride 1, AVX-512).
bool conv3d_forward_c1(const Conv3DGeom& g);
// Pairs of output pixels share a vector (8 channels each); `round` rounds x and w to bf16.
std::string forward_c1(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round);

// True when backprop_filter_c1 handles g (cin == 1, 3×3×3 filter, AVX-512 compiled).
bool conv3d_filter_grad_c1(const Conv3DGeom& g);
std::string backprop_filter_c1(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round);

}  // namespace clara
