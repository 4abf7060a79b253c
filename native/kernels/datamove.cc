#include "kernels/datamove.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/thread_pool.h"

namespace clara {
namespace {

// Copies n floats; short channel rows (the common case: 8-64 channels) as a loop the
// compiler vectorizes, longer ones through memcpy.
inline void copy_row(float* __restrict d, const float* __restrict s, int64_t n) {
  if (n >= 256) {
    std::memcpy(d, s, sizeof(float) * size_t(n));
  } else {
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
  }
}

}  // namespace

void upsample_nearest3d_f32(const float* x, float* y, int64_t n, int64_t d, int64_t h, int64_t w, int64_t c,
                            int64_t sd, int64_t sh, int64_t sw) {
  const int64_t od = d * sd, oh = h * sh, ow = w * sw;
  const int64_t orow = ow * c;  // one output (b, i, j) row
  if (n * d * h == 0 || orow == 0) return;
  // One task per input (b, i, j) row: build the first output row, then copy it to the
  // other sh·sd output rows it maps to (contiguous memcpy of ow·c floats).
  parallel_for(n * d * h, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, orow)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t j = r % h, bi = r / h, i = bi % d, b = bi / d;
      const float* src = x + r * w * c;
      float* first = y + ((b * od + i * sd) * oh + j * sh) * orow;
      if (c == 1) {
        for (int64_t k = 0; k < w; ++k)
          for (int64_t t = 0; t < sw; ++t) first[k * sw + t] = src[k];
      } else {
        for (int64_t k = 0; k < w; ++k)
          for (int64_t t = 0; t < sw; ++t) copy_row(first + (k * sw + t) * c, src + k * c, c);
      }
      for (int64_t a = 0; a < sd; ++a)
        for (int64_t e = 0; e < sh; ++e) {
          if (a == 0 && e == 0) continue;
          std::memcpy(first + (a * oh + e) * orow, first, sizeof(float) * size_t(orow));
        }
    }
  });
}

void upsample_nearest3d_grad_f32(const float* dy, float* dx, int64_t n, int64_t d, int64_t h, int64_t w,
                                 int64_t c, int64_t sd, int64_t sh, int64_t sw) {
  const int64_t od = d * sd, oh = h * sh, ow = w * sw;
  const int64_t orow = ow * c, irow = w * c;
  if (n * d * h == 0 || irow == 0) return;
  parallel_for(n * d * h, std::max<int64_t>(1, 2048 / std::max<int64_t>(1, orow)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t j = r % h, bi = r / h, i = bi % d, b = bi / d;
      float* __restrict out = dx + r * irow;
      const float* base = dy + ((b * od + i * sd) * oh + j * sh) * orow;
      // Sum the sd·sh output rows in a fixed order (deterministic), then fold the sw copies.
      for (int64_t a = 0; a < sd; ++a)
        for (int64_t e = 0; e < sh; ++e) {
          const float* __restrict row = base + (a * oh + e) * orow;
          const bool first = a == 0 && e == 0;
          for (int64_t k = 0; k < w; ++k) {
            float* __restrict o = out + k * c;
            const float* __restrict s = row + k * sw * c;
            for (int64_t t = 0; t < sw; ++t) {
              const float* __restrict q = s + t * c;
              if (first && t == 0)
                for (int64_t ch = 0; ch < c; ++ch) o[ch] = q[ch];
              else
                for (int64_t ch = 0; ch < c; ++ch) o[ch] += q[ch];
            }
          }
        }
    }
  });
}

namespace {

struct LinTap {
  float w0, k;  // weight of row i and of its neighbour
  int dir;      // neighbour: i - 1 (dir -1) or i + 1 (dir +1); 0 when k == 0
};

std::vector<LinTap> linear_taps(int64_t s) {
  std::vector<LinTap> t(static_cast<size_t>(s));
  for (int64_t r = 0; r < s; ++r) {
    const double delta = (double(r) + 0.5) / double(s) - 0.5, k = delta < 0 ? -delta : delta;
    t[size_t(r)] = LinTap{float(1.0 - k), float(k), k == 0 ? 0 : (delta < 0 ? -1 : 1)};
  }
  return t;
}

inline int64_t clamp_row(int64_t i, int64_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

}  // namespace

void upsample_linear_axis_f32(const float* src, float* dst, int64_t outer, int64_t n, int64_t inner, int64_t s) {
  const auto taps = linear_taps(s);
  const int64_t rows = outer * n * s;
  if (rows == 0 || inner == 0) return;
  parallel_for(rows, std::max<int64_t>(1, 8192 / inner), [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; ++row) {
      const int64_t r = row % s, i = (row / s) % n, o = row / (s * n);
      const LinTap t = taps[size_t(r)];
      const float* __restrict a = src + (o * n + i) * inner;
      const float* __restrict b = src + (o * n + clamp_row(i + t.dir, n)) * inner;
      float* __restrict d = dst + row * inner;
      const float w0 = t.w0, k = t.k;
      for (int64_t q = 0; q < inner; ++q) d[q] = w0 * a[q] + k * b[q];
    }
  });
}

void upsample_linear_axis_grad_f32(const float* src, float* dst, int64_t outer, int64_t n, int64_t inner, int64_t s) {
  const auto taps = linear_taps(s);
  const int64_t rows = outer * n;
  if (rows == 0 || inner == 0) return;
  parallel_for(rows, std::max<int64_t>(1, 4096 / (inner * s)), [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; ++row) {
      const int64_t i = row % n, o = row / n;
      float* __restrict d = dst + row * inner;
      for (int64_t q = 0; q < inner; ++q) d[q] = 0.f;
      // every output row (j, r) with j in {i-1, i, i+1} that reads row i, in a fixed order
      for (int64_t j = i - 1; j <= i + 1; ++j) {
        if (j < 0 || j >= n) continue;
        for (int64_t r = 0; r < s; ++r) {
          const LinTap t = taps[size_t(r)];
          float w = 0.f;
          if (j == i) w += t.w0;
          if (t.dir != 0 && clamp_row(j + t.dir, n) == i) w += t.k;
          if (w == 0.f) continue;
          const float* __restrict g = src + ((o * n + j) * s + r) * inner;
          for (int64_t q = 0; q < inner; ++q) d[q] += w * g[q];
        }
      }
    }
  });
}

void concat_last_4(int count, const float* const* parts, const int64_t* widths, int64_t rows, float* out) {
  int64_t total = 0;
  for (int p = 0; p < count; ++p) total += widths[p];
  if (rows == 0 || total == 0) return;
  parallel_for(rows, std::max<int64_t>(1, 8192 / total), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* o = out + r * total;
      for (int p = 0; p < count; ++p) {
        copy_row(o, parts[p] + r * widths[p], widths[p]);
        o += widths[p];
      }
    }
  });
}

void split_last_4(int count, const float* x, int64_t rows, float* const* parts, const int64_t* widths) {
  int64_t total = 0;
  for (int p = 0; p < count; ++p) total += widths[p];
  if (rows == 0 || total == 0) return;
  parallel_for(rows, std::max<int64_t>(1, 8192 / total), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* s = x + r * total;
      for (int p = 0; p < count; ++p) {
        copy_row(parts[p] + r * widths[p], s, widths[p]);
        s += widths[p];
      }
    }
  });
}

}  // namespace clara
