// Few-channel 3D convolutions on planar rows. With 2 input and 2 output channels (a UNet's
// 2-class head at full resolution) the blocked kernels pad the output channels to 16 and the
// input channels to 4: 1/32 of their work is real. Here x and dy are first copied into planar
// rows (one row of pixels per channel, each width phase apart for stride 2, zero padded), and
// the filter gradient sums vectors of 16 output pixels: every tap, input and output channel of a
// (depth, height) tap pair in its own accumulator; the forward (and the stride-1 input gradient)
// with at most 4 output channels keeps 4 vectors of 16 output pixels per output channel. Called
// by conv3d_forward.cc, conv3d_backprop_input.cc, conv3d_backprop_filter.cc.
#pragma once
#include <string>

#include "kernels/conv3d.h"

namespace clara {

// True when backprop_filter_planar handles g: AVX-512 compiled, 1-8 input and 1-8 output
// channels with cin * cout <= 16 (one input channel: width stride 2 or a filter other than
// 3x3x3, the rest is backprop_filter_c1's), filter width 1-3, width stride 1 or 2.
bool conv3d_filter_grad_planar(const Conv3DGeom& g);
// dw[a, b, k, ci, co] = sum over output pixels of x[o*s + tap - pad, ci] * dy[o, co]; `round`
// rounds x and dy to bf16 first. Sums in fp32 over groups of 8 output rows, then in double.
std::string backprop_filter_planar(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round);

// True when forward_planar handles g: AVX-512, 2-16 input and 1-4 output channels, filter
// width 1-3, width stride 1 or 2. Vectors of 16 output pixels, 4 of them per output channel
// in registers, the weights broadcast; stored with masked scatters.
bool conv3d_forward_planar(const Conv3DGeom& g);
std::string forward_planar(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round);
// True when backprop_input_planar handles g: stride 1, 1-4 input and 2-16 output channels,
// filter width 1-3 (the forward_planar of dy with the flipped filter).
bool conv3d_backprop_input_planar(const Conv3DGeom& g);
std::string backprop_input_planar(const Conv3DGeom& g, const float* dy, const float* w, float* dx, bool round);

}  // namespace clara
