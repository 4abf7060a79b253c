#include "kernels/reduce.h"

#include <algorithm>
#include <vector>

#include "common/thread_pool.h"

namespace clara {
namespace {

// Elements per chunk: large enough to amortise a task, small enough to spread a single
// reduction over every thread.
constexpr int64_t kChunkElems = 1 << 15;

// Sum of n contiguous floats with 16 independent accumulators (vectorised by the compiler).
float sum_run(const float* x, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += x[i + j];
  float s = 0;
  for (; i < n; ++i) s += x[i];
  for (int j = 0; j < 16; ++j) s += acc[j];
  return s;
}

// acc[0:inner] = sum over rows [m0, m1) of x[m, 0:inner] (x is one outer slice).
void sum_rows(const float* x, int64_t m0, int64_t m1, int64_t inner, float* acc) {
  std::fill(acc, acc + inner, 0.f);
  if (inner < 64) {
    // short rows (bias gradients of a few channels): sum blocks of `per` whole rows as flat runs
    // of width per·inner into that many accumulators, then fold them per channel
    const int64_t per = std::max<int64_t>(1, 64 / inner), width = per * inner;
    float wide[64] = {0};
    int64_t m = m0;
    for (; m + per <= m1; m += per) {
      const float* row = x + m * inner;
      for (int64_t i = 0; i < width; ++i) wide[i] += row[i];
    }
    for (int64_t i = 0; i < width; ++i) acc[i % inner] += wide[i];
    for (; m < m1; ++m)
      for (int64_t i = 0; i < inner; ++i) acc[i] += x[m * inner + i];
    return;
  }
  for (int64_t m = m0; m < m1; ++m) {
    const float* row = x + m * inner;
    for (int64_t i = 0; i < inner; ++i) acc[i] += row[i];
  }
}

}  // namespace

void sum_middle_f32(const float* x, int64_t outer, int64_t mid, int64_t inner, float* out) {
  if (outer <= 0 || inner <= 0) return;
  if (mid <= 0) {
    std::fill(out, out + outer * inner, 0.f);
    return;
  }
  // rows of `inner` elements per chunk, and chunks per outer slice
  const int64_t rows = std::max<int64_t>(1, kChunkElems / inner);
  const int64_t chunks = (mid + rows - 1) / rows;
  if (chunks == 1) {
    parallel_for(outer, std::max<int64_t>(1, kChunkElems / (mid * inner)), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        if (inner == 1) out[o] = sum_run(x + o * mid, mid);
        else sum_rows(x + o * mid * inner, 0, mid, inner, out + o * inner);
      }
    });
    return;
  }
  std::vector<float> part(size_t(outer * chunks * inner));
  parallel_for(outer * chunks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / chunks, c = t % chunks;
      const int64_t m0 = c * rows, m1 = std::min(mid, m0 + rows);
      const float* xs = x + o * mid * inner;
      if (inner == 1) part[size_t(t)] = sum_run(xs + m0, m1 - m0);
      else sum_rows(xs, m0, m1, inner, part.data() + t * inner);
    }
  });
  parallel_for(outer * inner, 4096, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t o = j / inner, i = j % inner;
      const float* p = part.data() + o * chunks * inner + i;
      float s = 0;
      for (int64_t c = 0; c < chunks; ++c) s += p[c * inner];
      out[j] = s;
    }
  });
}

}  // namespace clara
