#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/thread_pool.h"

namespace clara {
namespace {

template <typename F>
inline void inner(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i * sa], b[i * sb]);
  }
}

// Walks the `rows` rows of a rank-`rank` index space (all axes but the last; rank >= 2, <= 8)
// in parallel, calling fn(r, offset in p, offset in q) with each row's offsets under the
// element strides ps and qs.
template <typename Fn>
void for_each_row(int rank, const int64_t* shape, const int64_t* ps, const int64_t* qs, int64_t rows,
                  int64_t grain, Fn fn) {
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    int64_t idx[8] = {0};
    int64_t rem = r0;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      int64_t op = 0, oq = 0;
      for (int d = 0; d < rank - 1; ++d) {
        op += idx[d] * ps[d];
        oq += idx[d] * qs[d];
      }
      fn(r, op, oq);
      for (int d = rank - 2; d >= 0; --d) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  });
}

template <typename F>
void run_binary(F f, int rank, const int64_t* shape, const float* a, const int64_t* as, const float* b,
                const int64_t* bs, float* out) {
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int64_t n_last = shape[rank - 1];
  if (rank == 1) {  // flat (after collapsing in TypeScript): split the run itself
    parallel_for(n_last, 32768, [&](int64_t b0, int64_t e0) {
      inner(f, a + b0 * as[0], as[0], b + b0 * bs[0], bs[0], out + b0, e0 - b0);
    });
    return;
  }
  int64_t rows = 1;
  for (int i = 0; i < rank - 1; ++i) rows *= shape[i];
  if (rows == 0 || n_last == 0) return;
  // [rows, n] with one side dense and the other a [n] vector repeated over the rows (a bias add
  // of a few channels): short rows cost more in the row walk than in the arithmetic, so walk
  // blocks of whole rows as flat runs against the vector repeated to the block's width.
  const bool a_vec = as[rank - 1] == 1 && as[rank - 2] == 0, b_vec = bs[rank - 1] == 1 && bs[rank - 2] == 0;
  const bool a_dense = as[rank - 1] == 1 && as[rank - 2] == n_last, b_dense = bs[rank - 1] == 1 && bs[rank - 2] == n_last;
  if (rank == 2 && n_last < 64 && ((a_dense && b_vec) || (a_vec && b_dense))) {
    const int64_t per = std::max<int64_t>(1, 64 / n_last), width = per * n_last;
    float pat[64];
    const float* vec = a_vec ? a : b;
    for (int64_t i = 0; i < width; ++i) pat[i] = vec[i % n_last];
    const float* dense = a_vec ? b : a;
    parallel_for((rows + per - 1) / per, std::max<int64_t>(1, 16384 / width), [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t off = q * width, len = std::min(width, rows * n_last - off);
        const float* d = dense + off;
        float* o = out + off;
        if (a_vec)
          for (int64_t i = 0; i < len; ++i) o[i] = f(pat[i], d[i]);
        else
          for (int64_t i = 0; i < len; ++i) o[i] = f(d[i], pat[i]);
      }
    });
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_last));
  for_each_row(rank, shape, as, bs, rows, grain, [&](int64_t r, int64_t oa, int64_t ob) {
    inner(f, a + oa, as[rank - 1], b + ob, bs[rank - 1], out + r * n_last, n_last);
  });
}

template <typename F>
void unary(const float* x, float* y, int64_t n, F f) {
  parallel_for(n, 32768, [&](int64_t b, int64_t e) {
    // local restrict copies: through the closure's references GCC assumes y may alias them
    const float* __restrict xs = x;
    float* __restrict ys = y;
    for (int64_t i = b; i < e; ++i) ys[i] = f(xs[i]);
  });
}

}  // namespace

void strided_copy_4(int rank, const int64_t* shape, const float* src, const int64_t* ss, float* dst,
                    const int64_t* ds) {
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const int64_t n_last = shape[rank - 1], s_last = ss[rank - 1], d_last = ds[rank - 1];
  int64_t rows = 1;
  for (int i = 0; i < rank - 1; ++i) rows *= shape[i];
  if (rows == 0 || n_last == 0) return;
  auto row = [&](const float* s, float* d) {
    if (s_last == 1 && d_last == 1) std::memcpy(d, s, sizeof(float) * size_t(n_last));
    else
      for (int64_t i = 0; i < n_last; ++i) d[i * d_last] = s[i * s_last];
  };
  if (rank == 1) {
    parallel_for(n_last, 65536, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) dst[i * d_last] = src[i * s_last];
    });
    return;
  }
  for_each_row(rank, shape, ss, ds, rows, std::max<int64_t>(1, 16384 / n_last),
               [&](int64_t, int64_t os, int64_t od) { row(src + os, dst + od); });
}

void binary_f32(BinaryOp op, int rank, const int64_t* shape, const float* a, const int64_t* as,
                const float* b, const int64_t* bs, float* out) {
  switch (op) {
    case BinaryOp::kAdd: run_binary([](float p, float q) { return p + q; }, rank, shape, a, as, b, bs, out); break;
    case BinaryOp::kSub: run_binary([](float p, float q) { return p - q; }, rank, shape, a, as, b, bs, out); break;
    case BinaryOp::kMul: run_binary([](float p, float q) { return p * q; }, rank, shape, a, as, b, bs, out); break;
    case BinaryOp::kDiv: run_binary([](float p, float q) { return p / q; }, rank, shape, a, as, b, bs, out); break;
  }
}

void relu_f32(const float* x, float* y, int64_t n) {
  // tfjs: NaN stays NaN (Math.max(0, NaN) is NaN).
  unary(x, y, n, [](float v) { return v < 0.f ? 0.f : v; });
}

void step_f32(const float* x, float* y, int64_t n, float alpha) {
  unary(x, y, n, [alpha](float v) { return std::isnan(v) ? v : (v > 0.f ? 1.f : alpha); });
}

void relu_grad_f32(const float* dy, const float* x, float* dx, int64_t n) {
  parallel_for(n, 32768, [&](int64_t b, int64_t e) {
    // local restrict copies, as in unary()
    const float* __restrict xs = x;
    const float* __restrict g = dy;
    float* __restrict out = dx;
    for (int64_t i = b; i < e; ++i) {
      const float v = xs[i];
      const float s = v > 0.f ? 1.f : (v != v ? v : 0.f);
      out[i] = g[i] * s;
    }
  });
}

void tile_grad_f32(int rank, const int64_t* x_shape, const int64_t* reps, const float* dy, float* dx) {
  if (rank == 0) {
    dx[0] = dy[0];
    return;
  }
  int64_t x_strides[8], y_strides[8], y_shape[8];
  int64_t xs = 1, ys = 1, nrep = 1;
  for (int d = rank - 1; d >= 0; --d) {
    y_shape[d] = x_shape[d] * reps[d];
    x_strides[d] = xs;
    y_strides[d] = ys;
    xs *= x_shape[d];
    ys *= y_shape[d];
    nrep *= reps[d];
  }
  const int64_t n_last = x_shape[rank - 1], rows = xs / std::max<int64_t>(1, n_last);
  if (xs == 0) return;
  if (nrep == 0) {
    std::memset(dx, 0, sizeof(float) * size_t(xs));
    return;
  }
  // Each dx row (all dims but the last fixed) sums nrep rows of dy.
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_last)), [&](int64_t r0, int64_t r1) {
    int64_t idx[8] = {0}, rep[8] = {0};
    for (int64_t r = r0; r < r1; ++r) {
      int64_t rem = r;
      for (int d = rank - 2; d >= 0; --d) {
        idx[d] = rem % x_shape[d];
        rem /= x_shape[d];
      }
      float* out = dx + r * n_last;
      for (int d = 0; d < rank; ++d) rep[d] = 0;
      for (int64_t k = 0; k < nrep; ++k) {
        int64_t off = 0;
        for (int d = 0; d < rank - 1; ++d) off += (rep[d] * x_shape[d] + idx[d]) * y_strides[d];
        off += rep[rank - 1] * n_last;
        const float* src = dy + off;
        if (k == 0)
          for (int64_t i = 0; i < n_last; ++i) out[i] = src[i];
        else
          for (int64_t i = 0; i < n_last; ++i) out[i] += src[i];
        for (int d = rank - 1; d >= 0; --d) {
          if (++rep[d] < reps[d]) break;
          rep[d] = 0;
        }
      }
    }
  });
  (void)x_strides;
}

void softmax_f32(const float* x, float* y, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  parallel_for(rows, std::max<int64_t>(1, 4096 / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float m = -INFINITY;
      for (int64_t j = 0; j < cols; ++j) m = std::max(m, xr[j]);
      float s = 0.f;
      for (int64_t j = 0; j < cols; ++j) {
        yr[j] = std::exp(xr[j] - m);
        s += yr[j];
      }
      for (int64_t j = 0; j < cols; ++j) yr[j] /= s;
    }
  });
}

}  // namespace clara
