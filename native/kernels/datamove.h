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
// out[r, :] = [parts[0][r, :widths[0]], parts[1][r, :widths[1]], ...] for r < rows (4-byte elements).
void concat_last_4(int count, const float* const* parts, const int64_t* widths, int64_t rows, float* out);
// The inverse: parts[p][r, :] = x[r, offset_p : offset_p + widths[p]].
void split_last_4(int count, const float* x, int64_t rows, float* const* parts, const int64_t* widths);

}  // namespace clara
