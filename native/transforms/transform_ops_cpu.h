// CPU-only entry points beside transform_ops.h (kept out of that header, which the CUDA
// sources include): explicit resampling paths for tests and the bandwidth probe.
#pragma once
#include <cstdint>

#include "transforms/transform_ops.h"

namespace clara {

// True when the fastest output axis moves only the fastest input axis (xform[2] = xform[6] = 0:
// zoom/translate as in Spacingd, rotations in the (i, j) plane): the row path applies.
bool resample_is_row_aligned(const double* xform);
// resample_cpu with the path chosen: 0 automatic (the row path when row-aligned),
// 2 the general path always (tests compare both against the reference).
void resample_cpu_path(const ResampleArgs& a, int path);

// fg_bg_indices_cpu with the two outputs in malloc'd buffers (free() them; at least one
// element allocated even when a count is 0; both null when allocation failed), written in
// place without intermediate copies, so they can become JS ArrayBuffers as they are.
struct IndexPair {
  int32_t* fg = nullptr;
  int32_t* bg = nullptr;
  int64_t nfg = 0, nbg = 0;
};
IndexPair fg_bg_indices_cpu2(const float* label, int64_t label_channels, const float* image, int64_t image_channels,
                             int64_t spatial, double image_threshold);

// one_hot_cpu into an output known to be all zeros (a fresh allocation): writes only the ones.
void one_hot_cpu_zeroed(const float* label, float* out, int64_t spatial, int64_t num_classes);

// Bandwidth probe (benchmark roofline): kind 0 reads src[0..n) (returns a checksum),
// 1 copies src to dst, 2 fills dst, 3 and 4 copy and fill with streaming (non-temporal)
// stores where compiled in; split over the thread pool like the kernels.
uint32_t mem_probe_cpu(int kind, const float* src, float* dst, int64_t n);

}  // namespace clara
