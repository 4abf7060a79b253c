// Sums over the middle axis of an [outer, mid, inner] float32 view: every reduction a 3D
// model's step makes (column sums of [voxels, channels] for bias and norm gradients, per-sample
// spatial sums for instance norm and Dice, row sums, the total) is one of these once adjacent
// axes are merged. Plain C++; shapes are validated in TypeScript.
#pragma once
#include <cstdint>

namespace clara {

// out[o, i] = sum over m of x[o, m, i]. Parallel over (outer, chunks of mid) with fp32 partial
// sums per chunk, then a second pass adding the partials: the result does not depend on the
// thread count.
void sum_middle_f32(const float* x, int64_t outer, int64_t mid, int64_t inner, float* out);

}  // namespace clara
