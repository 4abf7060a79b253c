// One dispatcher per op: the CUDA kernel when it is compiled in, a GPU is present and
// the volume is large enough (the copy in and out must pay off); the CPU kernel otherwise.
#include <cstdlib>
#include <string>

#include "common/cuda_runtime.h"
#include "transforms/transform_ops.h"
#include "transforms/transform_ops_cuda.h"

namespace clara {
namespace {
// Below this many voxels the host<->device copies cost more than the CPU kernel.
constexpr int64_t kCudaMinVoxels = 1 << 20;
bool use_cuda(int64_t n) {
#ifdef CLARA_WITH_CUDA
  static const bool has_gpu = cuda_device_count() > 0;
  return has_gpu && n >= kCudaMinVoxels;
#else
  (void)n;
  return false;
#endif
}
// Memory-bound ops (intensity, flip, crop/pad, noise) on host data lose to the CPU once
// the copies are counted (measured on an H200: noise 256^3 18.0 ms CUDA vs 3.9 ms CPU;
// benchmarks/results/transforms_cuda_h200.json). They use CUDA only when
// CLARA_CUDA_TRANSFORMS=all asks for it; resampling (compute-bound) uses it by default.
bool use_cuda_memory_bound(int64_t n) {
  static const bool all = [] {
    const char* v = std::getenv("CLARA_CUDA_TRANSFORMS");
    return v != nullptr && std::string(v) == "all";
  }();
  return all && use_cuda(n);
}
}  // namespace

void resample(const ResampleArgs& a) {
#ifdef CLARA_WITH_CUDA
  if (use_cuda(a.channels * a.out_shape[0] * a.out_shape[1] * a.out_shape[2]) && resample_cuda(a)) return;
#endif
  resample_cpu(a);
}

void affine_intensity(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo,
                      double hi) {
#ifdef CLARA_WITH_CUDA
  if (use_cuda_memory_bound(n) && affine_intensity_cuda(in, out, n, scale, shift, clip, lo, hi)) return;
#endif
  affine_intensity_cpu(in, out, n, scale, shift, clip, lo, hi);
}

void flip(const float* in, float* out, int64_t channels, const int64_t shape[3], int mask) {
#ifdef CLARA_WITH_CUDA
  if (use_cuda_memory_bound(channels * shape[0] * shape[1] * shape[2]) && flip_cuda(in, out, channels, shape, mask)) return;
#endif
  flip_cpu(in, out, channels, shape, mask);
}

void crop_pad(const float* in, float* out, int64_t channels, const int64_t is[3], const int64_t os[3],
              const int64_t st[3], float fill) {
#ifdef CLARA_WITH_CUDA
  if (use_cuda_memory_bound(channels * os[0] * os[1] * os[2]) && crop_pad_cuda(in, out, channels, is, os, st, fill)) return;
#endif
  crop_pad_cpu(in, out, channels, is, os, st, fill);
}

void gaussian_noise(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std) {
#ifdef CLARA_WITH_CUDA
  if (use_cuda_memory_bound(n) && gaussian_noise_cuda(in, out, n, seed, mean, std)) return;
#endif
  gaussian_noise_cpu(in, out, n, seed, mean, std);
}

}  // namespace clara
