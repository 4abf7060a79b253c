// CUDA kernels of the hot transforms (compiled only when CMake finds nvcc). Each takes
// host pointers, copies to the device, runs, copies back, and returns false on any CUDA
// error so that the dispatcher falls back to the CPU kernel.
#pragma once
#include <cstdint>

#include "transforms/transform_ops.h"

namespace clara {
#ifdef CLARA_WITH_CUDA
bool resample_cuda(const ResampleArgs& a);
bool affine_intensity_cuda(const float* in, float* out, int64_t n, double scale, double shift, bool clip, double lo,
                           double hi);
bool flip_cuda(const float* in, float* out, int64_t channels, const int64_t shape[3], int mask);
bool crop_pad_cuda(const float* in, float* out, int64_t channels, const int64_t is[3], const int64_t os[3],
                   const int64_t st[3], float fill);
bool gaussian_noise_cuda(const float* in, float* out, int64_t n, uint32_t seed, double mean, double std);
#endif
}  // namespace clara
