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
      // local copies: through the closure's references GCC assumes y may alias x and a
      const float* __restrict xs = x;
      float* __restrict ys = y;
      const float av = a;
      for (int64_t i = b; i < e; ++i) {
        const float v = xs[i];
        ys[i] = v > 0.f ? v : av * v;
      }
    });
    return;
  }
  // per-channel alphas: flat runs of whole rows against the alphas repeated to the run's width
  const int64_t run = std::max<int64_t>(1, 64 / c) * c;
  std::vector<float> pat(static_cast<size_t>(run));
  for (int64_t i = 0; i < run; ++i) pat[size_t(i)] = alpha[i % c];
  const int64_t runs = (n + run - 1) / run;
  parallel_for(runs, std::max<int64_t>(1, 32768 / run), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t off = q * run, len = std::min(run, n - off);
      const float *xr = x + off, *a = pat.data();
      float* yr = y + off;
      for (int64_t i = 0; i < len; ++i) {
        const float v = xr[i];
        yr[i] = v > 0.f ? v : a[i] * v;
      }
    }
  });
}

void prelu_grad_f32(const float* dy, const float* x, const float* alpha, int64_t n_alpha, float* dx, float* dalpha,
                    int64_t n, int64_t c) {
  const int64_t width = n_alpha == 1 ? 1 : c;  // partial sums per chunk
  std::fill(dalpha, dalpha + width, 0.f);
  if (n == 0) return;
  // Walked as flat runs of `run` elements, a whole number of rows (`run` = 64 for a shared alpha,
  // per·c for per-channel alphas) with float accumulators per lane; each fixed chunk's lanes are
  // folded per alpha into its own slot and the slots added in double in chunk order
  // (thread-count independent). Branch-free, so the loops vectorise.
  const int64_t per = n_alpha == 1 ? 64 : std::max<int64_t>(1, 64 / c), run = n_alpha == 1 ? 64 : per * c;
  std::vector<float> pat(static_cast<size_t>(run));
  for (int64_t i = 0; i < run; ++i) pat[size_t(i)] = n_alpha == 1 ? alpha[0] : alpha[i % c];
  const int64_t chunk = std::max<int64_t>(run, 16384 / run * run);
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> partial(size_t(chunks * width), 0.0);
  parallel_for(chunks, 1, [&](int64_t k0, int64_t k1) {
    std::vector<float> lanes(static_cast<size_t>(run));
    for (int64_t k = k0; k < k1; ++k) {
      std::fill(lanes.begin(), lanes.end(), 0.f);
      const int64_t e0 = k * chunk, e1 = std::min(n, e0 + chunk);
      for (int64_t off = e0; off < e1; off += run) {
        const int64_t len = std::min(run, e1 - off);
        const float *xr = x + off, *gr = dy + off, *a = pat.data();
        float* dr = dx + off;
        float* acc = lanes.data();
        for (int64_t i = 0; i < len; ++i) {
          const float v = xr[i], g = gr[i];
          const bool pos = v > 0.f;
          dr[i] = pos ? g : g * a[i];
          acc[i] += pos ? 0.f : g * v;
        }
      }
      double* out = partial.data() + k * width;
      for (int64_t i = 0; i < run; ++i) out[n_alpha == 1 ? 0 : i % c] += double(lanes[size_t(i)]);
    }
  });
  for (int64_t j = 0; j < width; ++j) {
    double s = 0;
    for (int64_t k = 0; k < chunks; ++k) s += partial[size_t(k * width + j)];
    dalpha[j] = float(s);
  }
}

}  // namespace clara
