// Data-movement kernels of a 3D UNet step done in one multithreaded pass each:
// nearest-neighbour upsampling of NDHWC volumes by integer factors and its adjoint
// (block sums), and concatenation / split along the last (channel) axis. Plain C++;
// shapes are validated in TypeScript (src/native/datamove.ts).
#pragma once
#include <cstdint>

namespace clara {

// y[b, i, j, k, c] = x[b, i / sd, j / sh, k / sw, c]; x is [n, d, h, w, c],
// y is [n, d*sd, h*sh, w*sw, c].
void upsample_nearest3d_f32(const float* x, float* y, int64_t n, int64_t d, int64_t h, int64_t w, int64_t c,
                            int64_t sd, int64_t sh, int64_t sw);
// Its adjoint: dx[b, i, j, k, c] = sum over the sd×sh×sw block of dy that (b, i, j, k) was copied to.
void upsample_nearest3d_grad_f32(const float* dy, float* dx, int64_t n, int64_t d, int64_t h, int64_t w,
                                 int64_t c, int64_t sd, int64_t sh, int64_t sw);
// One axis of a separable linear upsampling by an integer factor s (PyTorch align_corners=False):
// src [outer, n, inner] -> dst [outer, n*s, inner]; output row i*s + r is
// (1 - |δ_r|)·src[i] + |δ_r|·src[clamp(i ∓ 1)], δ_r = (r + 0.5)/s - 0.5.
void upsample_linear_axis_f32(const float* src, float* dst, int64_t outer, int64_t n, int64_t inner, int64_t s);
// Its adjoint (dst [outer, n, inner] from src [outer, n*s, inner]), gathered per output row
// in a fixed order (deterministic, no races).
void upsample_linear_axis_grad_f32(const float* src, float* dst, int64_t outer, int64_t n, int64_t inner, int64_t s);
// out[r, :] = [parts[0][r, :widths[0]], parts[1][r, :widths[1]], ...] for r < rows (4-byte elements).
void concat_last_4(int count, const float* const* parts, const int64_t* widths, int64_t rows, float* out);
// The inverse: parts[p][r, :] = x[r, offset_p : offset_p + widths[p]].
void split_last_4(int count, const float* x, int64_t rows, float* const* parts, const int64_t* widths);

}  // namespace clara
