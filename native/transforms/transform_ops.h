// CPU kernels of the hot transforms (plain C++, no N-API). Volumes are C order,
// channel-first [C, i, j, k]; every op works on float32. Each op has a plain
// TypeScript reference in src/transforms/ops/ with the same arithmetic.
// The dispatchers (<op>.cc) pick the CUDA kernel when compiled in, a GPU is present
// and the volume is large enough; the *_cpu functions are always available.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__CUDACC__)
#define CLARA_HD __host__ __device__
#else
#define CLARA_HD
#endif

namespace clara {

enum class Interp : int { Nearest = 0, Linear = 1 };
enum class Pad : int { Zeros = 0, Border = 1, Reflection = 2 };

// Resampling: out[c, o] = in[c, xform · [o, 1]] (xform: 3x4 row-major, output voxel
// index → input voxel index), trilinear or nearest (round half to even, as
// torch.grid_sample), outside the input: zeros, border (clamped) or reflection.
struct ResampleArgs {
  const float* in; float* out;
  int64_t channels;
  int64_t in_shape[3];
  int64_t out_shape[3];
  double xform[12];
  Interp mode;
  Pad padding;
};
void resample_cpu(const ResampleArgs& a);
void resample(const ResampleArgs& a);  // dispatcher

// out = in * scale + shift, then clipped to [lo, hi] when clip (covers
// ScaleIntensityRange, shift/scale intensity, normalize with known mean/std).
void affine_intensity_cpu(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo, double hi);
void affine_intensity(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo, double hi);

// Sum, sum of squares and count of the elements (of those != 0 when nonzero), in double.
void moments_cpu(const float* in, int64_t n, bool nonzero, double* sum, double* sumsq, int64_t* count);
// Normalizes in place semantics: out = (in - mean) / std (only nonzero elements when nonzero).
void normalize_cpu(const float* in, float* out, int64_t n, double mean, double inv_std, bool nonzero);

// Flip the spatial axes whose bit is set in axis_mask (bit 0 = i), per channel.
void flip_cpu(const float* in, float* out, int64_t channels, const int64_t shape[3], int axis_mask);
void flip(const float* in, float* out, int64_t channels, const int64_t shape[3], int axis_mask);

// numpy.rot90(x, k, axes=(a0, a1)) on the spatial axes (0..2) of each channel.
// out_shape is the rotated shape.
void rot90_cpu(const float* in, float* out, int64_t channels, const int64_t shape[3], int k, int a0, int a1);

// Crop/pad in one: out[c, o] = in[c, o + start] when inside the input, else fill.
// start may be negative (pad before) and the box may pass the end (pad after).
void crop_pad_cpu(const float* in, float* out, int64_t channels, const int64_t in_shape[3],
                  const int64_t out_shape[3], const int64_t start[3], float fill);
void crop_pad(const float* in, float* out, int64_t channels, const int64_t in_shape[3],
              const int64_t out_shape[3], const int64_t start[3], float fill);

// Gaussian noise from a counter-based generator: out[i] = in[i] + (mean + std * z(seed, i)).
// Element pair p = (2p, 2p+1) takes the two Box-Muller outputs (cos, sin) of two 32-bit hashes
// of (seed, p), in float; CPU and CUDA compute the same (within a few ulps of libm).
void gaussian_noise_cpu(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std);
void gaussian_noise(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std);

// Flat spatial indices of the foreground (label > 0, any channel of the label) and of
// the background (label == 0 and, when image is given, any image channel > image_threshold),
// in increasing order (MONAI map_binary_to_indices).
void fg_bg_indices_cpu(const float* label, int64_t label_channels, const float* image, int64_t image_channels,
                       int64_t spatial, double image_threshold, std::vector<int32_t>* fg, std::vector<int32_t>* bg);

// Bounding box of voxels where any channel > threshold: start[3], end[3] (exclusive);
// returns false when nothing is above the threshold.
bool bounding_box_cpu(const float* in, int64_t channels, const int64_t shape[3], double threshold,
                      int64_t start[3], int64_t end[3]);

// One-hot: label [spatial] (values 0..n-1, others give all-zero) → out [n, spatial].
void one_hot_cpu(const float* label, float* out, int64_t spatial, int64_t num_classes);

// The counter-based hash (lowbias32 of seed-mixed counter), shared with CUDA.
CLARA_HD inline uint32_t noise_hash(uint32_t x) {
  x ^= x >> 16; x *= 0x7feb352dU;
  x ^= x >> 15; x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// The two standard normals of pair p: Box-Muller with polynomial log, sin and cos in float
// (no libm calls, so the CPU loop vectorizes and CUDA computes the same arithmetic).
// u1 = k / 2^24 with k in [1, 2^24]: ln u1 = (e - 24) ln 2 + ln m, k = m 2^e, m in [1, 2),
// ln m = 2 atanh((m-1)/(m+1)) by its series to t^11; θ = 2π u2 - π is halved, sin/cos of
// the half angle by Taylor series to degree 11/12, then doubled.
CLARA_HD inline void noise_pair(uint32_t key, uint32_t p, float* z0, float* z1) {
  const uint32_t c = p * 2u;
  const uint32_t h1 = noise_hash(key ^ noise_hash(c)), h2 = noise_hash(key ^ noise_hash(c + 1u));
  const uint32_t k = (h1 >> 8) + 1u;  // 1 .. 2^24, exact in float
  const float kf = static_cast<float>(k);
  uint32_t bits;
  std::memcpy(&bits, &kf, 4);
  const int e = static_cast<int>(bits >> 23) - 127;
  const uint32_t mbits = (bits & 0x007fffffu) | 0x3f800000u;
  float m;
  std::memcpy(&m, &mbits, 4);
  const float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
  const float lnm = 2.0f * t * (1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7 + t2 * (1.0f / 9 + t2 * (1.0f / 11))))));
  const float ln_u1 = static_cast<float>(e - 24) * 0.693147180559945309f + lnm;
  const float r = std::sqrt(-2.0f * ln_u1);
  const float u2 = static_cast<float>(h2 >> 8) * (1.0f / 16777216.0f);
  const float h = 3.14159265358979324f * u2 - 1.57079632679489662f;  // half of θ - π, in [-π/2, π/2)
  const float h2s = h * h;
  const float sh = h * (1.0f - h2s / 6 * (1.0f - h2s / 20 * (1.0f - h2s / 42 * (1.0f - h2s / 72 * (1.0f - h2s / 110)))));
  const float ch = 1.0f - h2s / 2 * (1.0f - h2s / 12 * (1.0f - h2s / 30 * (1.0f - h2s / 56 * (1.0f - h2s / 90 * (1.0f - h2s / 132)))));
  // θ = 2h + π: cos θ = -(ch² - sh²), sin θ = -2 sh ch
  *z0 = r * (sh * sh - ch * ch);
  *z1 = r * (-2.0f * sh * ch);
}

}  // namespace clara
