// Element-wise float32 ops with numpy broadcasting, ReLU / Step, and softmax
// over the last axis: the non-conv ops a 3D UNet step spends its time in once
// the convolutions are native. Plain C++; shapes are validated in TypeScript.
#pragma once
#include <cstdint>

namespace clara {

enum class BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

// out[shape] = a op b; a_strides / b_strides hold 0 on broadcast dimensions.
// rank <= 8.
void binary_f32(BinaryOp op, int rank, const int64_t* shape, const float* a, const int64_t* a_strides,
                const float* b, const int64_t* b_strides, float* out);

void relu_f32(const float* x, float* y, int64_t n);
// y = x > 0 ? 1 : (x is NaN ? NaN : alpha)  (tfjs Step)
void step_f32(const float* x, float* y, int64_t n, float alpha);
// dx = dy * step(x): ReLU's gradient in one pass (tfjs computes step, then mul).
// NaN in x gives NaN, as dy * step(x) does.
void relu_grad_f32(const float* dy, const float* x, float* dx, int64_t n);
// Gradient of Tile: dx[x_shape] = sum over every repetition of dy[x_shape * reps]
// (rank <= 8), in one pass instead of one slice + add per repetition.
void tile_grad_f32(int rank, const int64_t* x_shape, const int64_t* reps, const float* dy, float* dx);
// Softmax over the last axis of a [rows, cols] view (tfjs's: max-subtracted exp).
void softmax_f32(const float* x, float* y, int64_t rows, int64_t cols);

// Strided 4-byte copy: dst[idx·dst_strides] = src[idx·src_strides] for every idx
// of `shape` (rank <= 8). Serves Slice (strided src, dense dst) and Concat (dense
// src, strided dst); the bytes are copied as they are (float32 or int32).
void strided_copy_4(int rank, const int64_t* shape, const float* src, const int64_t* src_strides, float* dst,
                    const int64_t* dst_strides);

}  // namespace clara
