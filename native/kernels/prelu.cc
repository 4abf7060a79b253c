#include "kernels/prelu.h"

#include <algorithm>
#include <vector>

#include "common/thread_pool.h"

namespace clara {

void prelu_f32(const float* x, const float* alpha, int64_t n_alpha, float* y, int64_t n, int64_t c) {
  if (n == 0) return;
  if (n_alpha == 1) {
    const float a = alpha[0];
    parallel_for(n, 32768, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const float v = x[i];
        y[i] = v > 0.f ? v : a * v;
      }
    });
    return;
  }
  const int64_t rows = n / c;
  parallel_for(rows, std::max<int64_t>(1, 32768 / c), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * c;
      float* yr = y + r * c;
      for (int64_t j = 0; j < c; ++j) {
        const float v = xr[j];
        yr[j] = v > 0.f ? v : alpha[j] * v;
      }
    }
  });
}

void prelu_grad_f32(const float* dy, const float* x, const float* alpha, int64_t n_alpha, float* dx, float* dalpha,
                    int64_t n, int64_t c) {
  const int64_t width = n_alpha == 1 ? 1 : c;  // partial sums per chunk
  std::fill(dalpha, dalpha + width, 0.f);
  if (n == 0) return;
  // rows of `c` (or single elements for a shared alpha), cut into fixed chunks: each chunk's
  // partial sums go to its own slot and are added in chunk order (thread-count independent).
  const int64_t row = n_alpha == 1 ? 1 : c, rows = n / row;
  const int64_t chunk_rows = std::max<int64_t>(1, 16384 / row);
  const int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  std::vector<double> partial(size_t(chunks * width), 0.0);
  parallel_for(chunks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      double* acc = partial.data() + k * width;
      const int64_t r0 = k * chunk_rows, r1 = std::min(rows, r0 + chunk_rows);
      if (n_alpha == 1) {
        const float a = alpha[0];
        double s = 0;
        for (int64_t i = r0; i < r1; ++i) {
          const float v = x[i], g = dy[i];
          if (v > 0.f) {
            dx[i] = g;
          } else {
            dx[i] = g * a;
            s += double(g) * double(v);
          }
        }
        acc[0] = s;
      } else {
        for (int64_t r = r0; r < r1; ++r) {
          const float* xr = x + r * c;
          const float* gr = dy + r * c;
          float* dr = dx + r * c;
          for (int64_t j = 0; j < c; ++j) {
            const float v = xr[j], g = gr[j];
            if (v > 0.f) {
              dr[j] = g;
            } else {
              dr[j] = g * alpha[j];
              acc[j] += double(g) * double(v);
            }
          }
        }
      }
    }
  });
  for (int64_t j = 0; j < width; ++j) {
    double s = 0;
    for (int64_t k = 0; k < chunks; ++k) s += partial[size_t(k * width + j)];
    dalpha[j] = float(s);
  }
}

}  // namespace clara
