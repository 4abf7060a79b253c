// MONAI's DiceLoss with softmax (squared_pred, jaccard, batch off) as one native pass forward and
// one backward: softmax over the channels, the per-(sample, class) sums tp = Σ p·t, ps = Σ p,
// gs = Σ t, and the terms f = 1 - (2·tp + smooth_nr) / (ps + gs + smooth_dr); the gradient of
// the terms through the softmax back to the logits. tfjs ran about 15 kernels and 20 in the
// gradient. Layout: logits and target are [n, v, c] (channels last); classes before c0 (the
// background, include_background=false) get no term. Plain C++; shapes validated in TypeScript.
#pragma once
#include <cstdint>

namespace clara {

struct SoftmaxDiceGeom {
  int64_t n, v, c, c0;
  float smooth_nr, smooth_dr;
};

// prob [n, v, c] = softmax(logits) (exp as vec_exp.h's polynomial; two classes as sigmoids of the
// difference); stats [n, c, 3] = (tp, ps, gs): float partials per fixed chunk of v, added in double
// in a fixed order (thread-count independent); f [n, c - c0].
void softmax_dice_f32(const SoftmaxDiceGeom& g, const float* logits, const float* target, float* prob, float* stats,
                      float* f);

// dlogits [n, v, c] from dy = dL/df [n, c - c0], the forward's prob and stats, and the target.
void softmax_dice_grad_f32(const SoftmaxDiceGeom& g, const float* dy, const float* prob, const float* target,
                           const float* stats, float* dlogits);

}  // namespace clara
