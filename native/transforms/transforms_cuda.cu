// CUDA kernels of the hot transforms: the same arithmetic as the *_cpu.cc kernels
// (double coordinates and accumulation; the resample voxel and the counter-based noise hash
// are the same host/device functions), so the
// ctest program native/tests/transforms_cuda_test.cc can compare them.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "transforms/resample_sample.h"
#include "transforms/transform_ops.h"
#include "transforms/transform_ops_cuda.h"

namespace clara {
namespace {

struct DevBuf {
  float* p = nullptr;
  bool ok = false;
  explicit DevBuf(size_t n) { ok = cudaMalloc(&p, n * sizeof(float)) == cudaSuccess; }
  ~DevBuf() { if (p) cudaFree(p); }
};

inline unsigned blocks_for(int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

struct ResampleDev {
  int64_t channels, ni, nj, nk, oi, oj, ok;
  double m[12];
  Interp mode;
  Pad padding;
};

__global__ void resample_kernel(const float* in, float* out, ResampleDev a) {
  const int64_t total = a.channels * a.oi * a.oj * a.ok;
  const ResampleGeom g{a.ni, a.nj, a.nk};
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < total; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t k = idx % a.ok, j = (idx / a.ok) % a.oj, i = (idx / (a.ok * a.oj)) % a.oi, c = idx / (a.ok * a.oj * a.oi);
    const double* m = a.m;
    out[idx] = resample_voxel(in + c * a.ni * a.nj * a.nk, g, m[0] * i + m[1] * j + m[3] + m[2] * k, m[4] * i + m[5] * j + m[7] + m[6] * k,
                              m[8] * i + m[9] * j + m[11] + m[10] * k, a.mode, a.padding);
  }
}

__global__ void affine_intensity_kernel(const float* in, float* out, int64_t n, float s, float t, bool clip, float lo,
                                        float hi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float v = __fadd_rn(__fmul_rn(in[i], s), t);  // no FMA: the CPU computes a rounded product, then the sum
    out[i] = clip ? fminf(hi, fmaxf(lo, v)) : v;
  }
}

__global__ void flip_kernel(const float* in, float* out, int64_t c, int64_t ni, int64_t nj, int64_t nk, int mask) {
  const int64_t total = c * ni * nj * nk;
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < total; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t k = idx % nk, j = (idx / nk) % nj, i = (idx / (nk * nj)) % ni, ch = idx / (nk * nj * ni);
    const int64_t si = (mask & 1) ? ni - 1 - i : i, sj = (mask & 2) ? nj - 1 - j : j, sk = (mask & 4) ? nk - 1 - k : k;
    out[idx] = in[((ch * ni + si) * nj + sj) * nk + sk];
  }
}

__global__ void crop_pad_kernel(const float* in, float* out, int64_t c, int64_t i0, int64_t i1, int64_t i2, int64_t o0,
                                int64_t o1, int64_t o2, int64_t s0, int64_t s1, int64_t s2, float fill) {
  const int64_t total = c * o0 * o1 * o2;
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < total; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t k = idx % o2, j = (idx / o2) % o1, i = (idx / (o2 * o1)) % o0, ch = idx / (o2 * o1 * o0);
    const int64_t si = i + s0, sj = j + s1, sk = k + s2;
    out[idx] = (si < 0 || sj < 0 || sk < 0 || si >= i0 || sj >= i1 || sk >= i2) ? fill
                                                                               : in[((ch * i0 + si) * i1 + sj) * i2 + sk];
  }
}

__global__ void noise_kernel(const float* in, float* out, int64_t n, uint32_t key, float mean, float std) {
  const int64_t pairs = (n + 1) / 2;
  for (int64_t p = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; p < pairs; p += int64_t(gridDim.x) * blockDim.x) {
    float z0, z1;
    noise_pair(key, static_cast<uint32_t>(p), &z0, &z1);  // the same function as the CPU kernel
    const int64_t i = 2 * p;
    out[i] = in[i] + (mean + std * z0);
    if (i + 1 < n) out[i + 1] = in[i + 1] + (mean + std * z1);
  }
}

// Copies in, runs `launch(din, dout)`, copies out; false on any CUDA error.
template <typename Launch>
bool run_io(const float* in, size_t n_in, float* out, size_t n_out, Launch launch) {
  DevBuf din(n_in), dout(n_out);
  if (!din.ok || !dout.ok) return false;
  if (cudaMemcpy(din.p, in, n_in * sizeof(float), cudaMemcpyHostToDevice) != cudaSuccess) return false;
  launch(din.p, dout.p);
  if (cudaGetLastError() != cudaSuccess) return false;
  return cudaMemcpy(out, dout.p, n_out * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess;
}

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 65535;
unsigned grid(int64_t n) { unsigned b = blocks_for(n, kThreads); return b > kMaxBlocks ? kMaxBlocks : b; }

}  // namespace

bool resample_cuda(const ResampleArgs& a) {
  ResampleDev d{a.channels, a.in_shape[0], a.in_shape[1], a.in_shape[2], a.out_shape[0], a.out_shape[1], a.out_shape[2], {}, a.mode, a.padding};
  for (int i = 0; i < 12; ++i) d.m[i] = a.xform[i];
  const int64_t n_in = a.channels * d.ni * d.nj * d.nk, n_out = a.channels * d.oi * d.oj * d.ok;
  return run_io(a.in, n_in, a.out, n_out, [&](const float* i, float* o) { resample_kernel<<<grid(n_out), kThreads>>>(i, o, d); });
}

bool affine_intensity_cuda(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo,
                           double hi) {
  return run_io(in, n, out, n, [&](const float* i, float* o) {
    affine_intensity_kernel<<<grid(n), kThreads>>>(i, o, n, float(scale), float(shift), clip, float(lo), float(hi));
  });
}

bool flip_cuda(const float* in, float* out, int64_t c, const int64_t s[3], int mask) {
  const int64_t n = c * s[0] * s[1] * s[2];
  return run_io(in, n, out, n, [&](const float* i, float* o) { flip_kernel<<<grid(n), kThreads>>>(i, o, c, s[0], s[1], s[2], mask); });
}

bool crop_pad_cuda(const float* in, float* out, int64_t c, const int64_t is[3], const int64_t os[3], const int64_t st[3],
                   float fill) {
  const int64_t n_in = c * is[0] * is[1] * is[2], n_out = c * os[0] * os[1] * os[2];
  return run_io(in, n_in, out, n_out, [&](const float* i, float* o) {
    crop_pad_kernel<<<grid(n_out), kThreads>>>(i, o, c, is[0], is[1], is[2], os[0], os[1], os[2], st[0], st[1], st[2], fill);
  });
}

bool gaussian_noise_cuda(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std) {
  const uint32_t key = noise_hash(seed);
  return run_io(in, n, out, n, [&](const float* i, float* o) { noise_kernel<<<grid((n + 1) / 2), kThreads>>>(i, o, n, key, float(mean), float(std)); });
}

}  // namespace clara
