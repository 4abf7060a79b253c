// The label one-hot against tfjs's cast(round(v), 'int32') + oneHot semantics written out:
// half to even, NaN / Inf → class 0, ToInt32 wrap, out-of-range → zeros; 1 and 3 threads.
#include <cmath>
#include <cstdio>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/label_onehot.h"

static int failures = 0;

static void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL %s\n", what);
    ++failures;
  }
}

int main() {
  const struct {
    float v;
    int32_t want;
  } idx[] = {{0.f, 0},          {0.5f, 0},   {1.5f, 2},    {2.5f, 2},         {-0.5f, 0},        {-1.5f, -2},
             {0.49f, 0},        {0.51f, 1},  {NAN, 0},     {INFINITY, 0},     {-INFINITY, 0},    {4294967296.f, 0},
             {4294967808.f, 512}, {3e9f, -1294967296}, {2147483648.f, -2147483647 - 1}};
  for (auto& c : idx) {
    char what[96];
    std::snprintf(what, sizeof what, "label_index(%g) = %d, want %d", double(c.v), clara::label_index(c.v), c.want);
    check(clara::label_index(c.v) == c.want, what);
  }
  for (int threads : {1, 3}) {
    clara::set_num_threads(threads);
    const int64_t n = 100003, depth = 3;
    std::vector<float> label(n), out(n * depth, 7.f);
    for (int64_t i = 0; i < n; ++i) label[i] = float(i % 5) - 0.6f;  // -0.6 .. 3.4: classes -1 .. 3
    clara::label_onehot_f32(label.data(), n, depth, out.data());
    bool ok = true;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t k = int32_t(std::nearbyint(label[i]));
      for (int64_t j = 0; j < depth; ++j) ok = ok && out[i * depth + j] == (j == k ? 1.f : 0.f);
    }
    check(ok, threads == 1 ? "one-hot rows, 1 thread" : "one-hot rows, 3 threads");
  }
  // depth 2 (the vectorised path): every special value above at positions in and after the
  // 16-wide blocks, among ordinary labels, against label_index
  for (int threads : {1, 3}) {
    clara::set_num_threads(threads);
    const int64_t n = 70001, depth = 2;
    std::vector<float> label(n), out(n * depth, 7.f);
    for (int64_t i = 0; i < n; ++i) label[i] = float(i % 4) * 0.5f - 0.25f;  // -0.25 .. 1.25
    const int64_t at[] = {0, 5, 17, 31, 4096, 33333, 69990, 70000};
    int64_t q = 0;
    for (int64_t p : at)
      for (auto& c : idx) label[(p + 7 * q++) % n] = c.v;
    clara::label_onehot_f32(label.data(), n, depth, out.data());
    bool ok = true;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t k = clara::label_index(label[i]);
      for (int64_t j = 0; j < depth; ++j) ok = ok && out[i * depth + j] == (j == k ? 1.f : 0.f);
    }
    check(ok, threads == 1 ? "depth-2 rows with special values, 1 thread" : "depth-2 rows with special values, 3 threads");
  }
  if (failures) return 1;
  std::printf("label_onehot_test: ok\n");
  return 0;
}
