// The Adam / AdamW update in one pass (PyTorch's rule, as src/optimizers/optimizer.ts writes it
// with tensor ops): adam_f32 reads one parameter's p, m, v, g and writes the new p, m, v to
// other arrays (tfjs may share the old buffers with other tensors); adam_f32_multi updates
// many parameters in place in one parallel pass (the caller has made sure nothing else sees
// their arrays). Plain C++.
#pragma once
#include <cstdint>

namespace clara {

// Hyper-parameters in double: every derived constant (1 - beta, lr / bc1, ...) is computed in
// double and rounded to float once, as tfjs's scalar operands are.
struct AdamStep {
  double lr, beta1, beta2, eps;
  double bias_correction1, bias_correction2;  // 1 - beta^t
  double weight_decay;
  bool decoupled;  // AdamW: p *= 1 - lr * wd before the update; Adam: g += wd * p
};

void adam_f32(const AdamStep& s, const float* p, const float* m, const float* v, const float* g, float* p_out,
              float* m_out, float* v_out, int64_t n);

// One parameter of a multi-tensor update: p, m, v are updated in place, g is read.
struct AdamTensor {
  float* p;
  float* m;
  float* v;
  const float* g;
  int64_t n;
};
void adam_f32_multi(const AdamStep& s, const AdamTensor* tensors, int64_t count);

}  // namespace clara
