// Group normalisation of an [S, V, C] float32 view with G groups of C/G channels: statistics per
// (s, g) over V × C/G values. Instance norm is G = C, group norm G = num_groups (S = batch), and
// batch norm in training is S = 1, V = batch × voxels, G = C. Forward and gradients in a few
// passes over the volume (tfjs ops: about ten). Plain C++; shapes are validated in TypeScript.
#pragma once
#include <cstdint>

namespace clara {

struct NormGeom {
  int64_t s, v, c, g;
  float eps;
};

// y = (x - mean) / sqrt(var + eps) [* w[c] + b[c]]; mean and var ([S, G], biased variance, two-pass)
// are written too. w and b may both be null (no affine).
void group_norm_f32(const NormGeom& n, const float* x, const float* w, const float* b, float* y, float* mean, float* var);

// Gradients of group_norm_f32 given dy, x and the forward's mean and var: dx always; dw and db
// ([C]) when w is not null.
void group_norm_grad_f32(const NormGeom& n, const float* dy, const float* x, const float* mean, const float* var,
                         const float* w, float* dx, float* dw, float* db);

}  // namespace clara
