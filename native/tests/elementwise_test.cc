// Broadcasting binary ops against a naive indexed loop: a vector of the last axis repeated over
// the rows on either side (the flat block path for short rows, the row walk for long ones), two
// dense operands, and a scalar; row counts that do not fill a last block; 1 and 3 threads.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "common/thread_pool.h"
#include "kernels/elementwise.h"

static int failures = 0;

static float apply(clara::BinaryOp op, float p, float q) {
  switch (op) {
    case clara::BinaryOp::kAdd: return p + q;
    case clara::BinaryOp::kSub: return p - q;
    case clara::BinaryOp::kMul: return p * q;
    default: return p / q;
  }
}

// [rows, n]: a and b each either dense ([n, 1] strides), a [n] vector ([0, 1]) or a scalar ([0, 0])
static void test_case(clara::BinaryOp op, int64_t rows, int64_t n, int a_kind, int b_kind, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0.5f, 2.f);
  auto make = [&](int kind) {
    std::vector<float> v(size_t(kind == 0 ? rows * n : kind == 1 ? n : 1));
    for (auto& e : v) e = u(rng);
    return v;
  };
  auto strides = [&](int kind, int64_t* s) {
    s[0] = kind == 0 ? n : 0;
    s[1] = kind == 2 ? 0 : 1;
  };
  const std::vector<float> a = make(a_kind), b = make(b_kind);
  int64_t as[2], bs[2];
  strides(a_kind, as);
  strides(b_kind, bs);
  const int64_t shape[2] = {rows, n};
  for (int threads : {1, 3}) {
    clara::set_num_threads(threads);
    std::vector<float> out(size_t(rows * n), -1.f);
    clara::binary_f32(op, 2, shape, a.data(), as, b.data(), bs, out.data());
    bool ok = true;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < n; ++i)
        ok = ok && out[size_t(r * n + i)] == apply(op, a[size_t(r * as[0] + i * as[1])], b[size_t(r * bs[0] + i * bs[1])]);
    if (!ok) {
      std::printf("FAIL binary op %d [%lld, %lld] kinds a %d b %d, %d threads\n", int(op), (long long)rows, (long long)n, a_kind,
                  b_kind, threads);
      ++failures;
    }
  }
}

int main() {
  std::mt19937 rng(17);
  const int64_t shapes[][2] = {{65537, 2}, {4099, 8}, {1001, 3}, {333, 63}, {257, 64}, {100, 130}, {1, 5}, {7, 1}};
  for (auto& s : shapes)
    for (int op = 0; op < 4; ++op)
      for (auto kinds : {std::pair<int, int>{0, 1}, {1, 0}, {0, 0}, {0, 2}, {2, 0}})
        test_case(clara::BinaryOp(op), s[0], s[1], kinds.first, kinds.second, rng);
  if (failures) return 1;
  std::printf("elementwise_test: ok\n");
  return 0;
}
