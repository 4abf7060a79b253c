// 3D convolution for NDHWC tensors (the TensorFlow.js layout): forward,
// gradient with respect to the input and gradient with respect to the filter.
// x [N,D,H,W,Cin], filter [KD,KH,KW,Cin,Cout], y [N,OD,OH,OW,Cout].
// Plain C++ (no N-API). The caller (TypeScript) validates the geometry and
// computes the padding the way tfjs does; these functions trust it.
#pragma once
#include <cstdint>
#include <string>

namespace clara {

struct Conv3DGeom {
  int n, d, h, w, cin;        // input
  int kd, kh, kw, cout;       // filter
  int sd, sh, sw;             // strides
  int od, oh, ow;             // output
  int pf, pt, pl;             // padding before (front, top, left)
};

// kAmp (use_amp): bf16 on the AMX tiles for the passes whose geometry they run faster than
// the fp32 kernels (conv3d_amx_pays_*), fp32 for the others, while AMX is usable; without
// AMX (absent, refused, CLARA_AMX=0) the same as kBf16.
enum class ConvPrecision { kFp32 = 0, kBf16 = 1, kAmp = 2 };

// Returns "" on success or an error message (nothing throws).
std::string conv3d_forward(const Conv3DGeom& g, const float* x, const float* filter, float* y,
                           ConvPrecision p);
std::string conv3d_backprop_input(const Conv3DGeom& g, const float* dy, const float* filter,
                                  float* dx, ConvPrecision p);
std::string conv3d_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy,
                                   float* dfilter, ConvPrecision p);

// The strided input gradient by phases (conv3d_backprop_input.cc, conv3d_amx.cc): along an
// axis of input size `in`, filter size k, stride s and padding `pad`, the input positions
// i = s*(q0+u) + r - pad (u < count) of phase r receive only the taps k = r + s*j (j < taps):
// a stride-1 correlation of dy, padded by `pad` before, with that sub-filter flipped.
struct Conv3DPhase {
  int q0 = 0, count = 0, taps = 0, pad = 0;
};
Conv3DPhase conv3d_phase(int in, int k, int s, int pad, int r);

// Naive reference loops (used by the ctest programs).
void conv3d_forward_naive(const Conv3DGeom& g, const float* x, const float* filter, float* y);
void conv3d_backprop_input_naive(const Conv3DGeom& g, const float* dy, const float* filter, float* dx);
void conv3d_backprop_filter_naive(const Conv3DGeom& g, const float* x, const float* dy, float* dfilter);

// Round-to-nearest-even to bfloat16 and back to fp32 (NaN stays NaN).
float round_bf16(float v);
uint16_t to_bf16_bits(float v);
// dst[i] = round_bf16(src[i]) for n values (vectorized where AVX-512 is compiled in).
void round_bf16_copy(const float* src, float* dst, int64_t n);

// True when compiled with the AVX512-BF16 dot-product path.
bool conv3d_has_bf16_dot();
// Run time switch: off makes bf16 convs use the exact emulation (bf16-rounded
// inputs, fp32 FMA) even where the dot products are compiled in. The default
// (and conv3d_bf16_dot_auto()) measures once whether the dot-product
// instruction outruns fp32 FMA on this CPU and uses it only then.
void conv3d_use_bf16_dot(bool on);
void conv3d_bf16_dot_auto();
bool conv3d_bf16_dot_in_use();

// Measures this machine's fp32 FMA peak in GFLOP/s with `threads` threads
// (independent FMA chains on the widest vectors compiled in). With bf16_dot, the
// peak of the AVX512-BF16 dot-product instruction instead (0 when not compiled in).
double fma_peak_gflops(int threads, double seconds, bool bf16_dot = false);

}  // namespace clara
