// PReLU forward and gradient in one pass each (PyTorch's nn.PReLU / tfjs Prelu): the model's
// activation was relu(x) - alpha * relu(-x) in six tensor ops and about ten gradient passes.
// x is a channels-last [rows, c] view; alpha holds 1 value (shared) or c (one per channel).
// Plain C++; shapes are validated in TypeScript.
#pragma once
#include <cstdint>

namespace clara {

// y = x > 0 ? x : alpha[ch] * x   (NaN stays NaN)
void prelu_f32(const float* x, const float* alpha, int64_t n_alpha, float* y, int64_t n, int64_t c);

// dx = dy * (x > 0 ? 1 : alpha[ch]);  dalpha[ch] = sum of dy * x over the x <= 0 elements of the
// channel (all elements when n_alpha == 1). The sum is taken in double over a fixed chunking of
// the rows, so it does not depend on the thread count.
void prelu_grad_f32(const float* dy, const float* x, const float* alpha, int64_t n_alpha, float* dx, float* dalpha,
                    int64_t n, int64_t c);

}  // namespace clara
