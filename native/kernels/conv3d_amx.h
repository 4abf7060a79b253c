// 3D convolution on Intel AMX tiles: bf16 products with fp32 accumulation
// (tdpbf16ps), NDHWC, forward / input gradient / filter gradient, any stride and
// the padding the other conv3d kernels take. Operands are packed to bf16 per call
// (fp32 master weights stay with the caller); channels are padded to the tile
// shapes (K = 32 bf16, N = 16 columns) in the packing, never in the caller's
// tensors. `terms` 1: plain bf16 (inputs and weights rounded to bf16); 3: fp32
// emulated as hi*hi + hi*lo + lo*hi with hi = bf16(v), lo = bf16(v - hi).
// Compiled with -mamx-tile -mamx-bf16 (CMakeLists.txt); callers check
// amx_usable() first. Plain C++ (no N-API).
#pragma once
#include "kernels/conv3d.h"

namespace clara {

// True when the AMX path takes this geometry (the summed channel counts large enough to
// fill the tiles usefully: forward cin, cout >= 8; input gradient cout >= 8; filter gradient
// cin, cout >= 16, or >= 8 at stride 1); the callers fall back to the AVX-512 kernels otherwise.
bool conv3d_amx_takes_forward(const Conv3DGeom& g);
bool conv3d_amx_takes_backprop_input(const Conv3DGeom& g);
bool conv3d_amx_takes_backprop_filter(const Conv3DGeom& g);

// True where the AMX bf16 kernels also beat the fp32 kernels (use_amp, ConvPrecision::kAmp,
// runs the other passes in fp32): the geometry is taken and the call has enough multiply-adds
// (1x1x1: 8 M; the input gradient into fewer than 8 channels: 0.8 M; 16+ channels on both sides:
// 2 M; else 4 M; measured, conv3d_amx.cc).
bool conv3d_amx_pays_forward(const Conv3DGeom& g);
bool conv3d_amx_pays_backprop_input(const Conv3DGeom& g);
bool conv3d_amx_pays_backprop_filter(const Conv3DGeom& g);

// Each returns false (and writes nothing) when it cannot run: AMX code not
// compiled in, or a non-finite value in a packed operand (the zero-weighted
// padding lanes of a tile would turn it into NaN in a neighbouring output), so
// the caller runs its own path; *err is set on a real failure (out of memory).
bool conv3d_amx_forward(const Conv3DGeom& g, const float* x, const float* filter, float* y, int terms, std::string* err);
bool conv3d_amx_backprop_input(const Conv3DGeom& g, const float* dy, const float* filter, float* dx, int terms, std::string* err);
bool conv3d_amx_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy, float* dfilter, int terms, std::string* err);

// How many calls of a pass (0 forward, 1 input gradient, 2 filter gradient) ran on the
// AMX tiles since the process started (the fallbacks are not counted).
int64_t conv3d_amx_calls(int pass);

// Peak of tdpbf16ps on 16x32 bf16 tiles, four independent accumulators per
// thread (like a standalone amx_peak probe: four independent tdpbf16ps), GFLOP/s; 0 where AMX is not usable.
double amx_peak_gflops(int threads, double seconds);

}  // namespace clara
