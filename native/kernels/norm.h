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

// The activation a norm layer may fold in: none, ReLU, or PReLU (alpha: one shared value or one
// per channel).
enum class NormAct { kNone = 0, kRelu = 1, kPrelu = 2 };

// y = act((x - mean) / sqrt(var + eps) [* w[c] + b[c]]) (a norm layer followed by its activation
// in one pass); mean and var ([S, G], biased variance) are written too. w and b may both be null
// (no affine). Two passes (both statistics in one shifted pass, then y), each over flat runs of
// whole rows and parallel over (sample, chunk of rows).
void group_norm_f32(const NormGeom& n, const float* x, const float* w, const float* b, float* y, float* mean, float* var,
                    NormAct act = NormAct::kNone, const float* alpha = nullptr, int64_t n_alpha = 0);

// Gradients of group_norm_f32 (with the same act, w, b and alpha: the activation's input is
// recomputed from x) given dy, x and the forward's mean and var: dx always; dw and db ([C]) when
// w is not null; dalpha ([n_alpha]) for PReLU. Two passes, plus one for a folded activation.
void group_norm_grad_f32(const NormGeom& n, const float* dy, const float* x, const float* mean, const float* var,
                         const float* w, const float* b, float* dx, float* dw, float* db, NormAct act = NormAct::kNone,
                         const float* alpha = nullptr, int64_t n_alpha = 0, float* dalpha = nullptr);

}  // namespace clara
