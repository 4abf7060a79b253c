// ctest: the CUDA transform kernels against the CPU kernels (skips with exit 0 and a
// message when CUDA is not compiled in or no GPU is present), and CPU kernel sanity checks
// that always run: resample identity, flip involution, crop/pad, noise moments.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/cuda_runtime.h"
#include "transforms/transform_ops.h"
#include "transforms/transform_ops_cuda.h"

namespace {

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) { std::fprintf(stderr, "FAIL: %s\n", what); ++failures; }
}
bool close(const std::vector<float>& a, const std::vector<float>& b, double rel) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const double tol = rel * std::fmax(1.0, std::fabs(b[i]));
    if (!(std::fabs(double(a[i]) - double(b[i])) <= tol)) {
      std::fprintf(stderr, "  element %zu: %.9g vs %.9g\n", i, a[i], b[i]);
      return false;
    }
  }
  return true;
}

std::vector<float> volume(int64_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed;
  for (auto& x : v) { s = clara::noise_hash(s + 0x9e3779b9u); x = float(s % 4001) / 10.f - 100.f; }
  return v;
}

}  // namespace

int main() {
  using namespace clara;
  const int64_t C = 2, shape[3] = {37, 29, 23};
  const int64_t n = C * shape[0] * shape[1] * shape[2];
  const auto x = volume(n, 1);

  // --- CPU sanity ---
  {
    std::vector<float> out(n);
    ResampleArgs a{x.data(), out.data(), C, {shape[0], shape[1], shape[2]}, {shape[0], shape[1], shape[2]},
                   {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, Interp::Linear, Pad::Border};
    resample_cpu(a);
    check(out == x, "resample identity is a copy");
    std::vector<float> f(n), g(n);
    flip_cpu(x.data(), f.data(), C, shape, 7);
    flip_cpu(f.data(), g.data(), C, shape, 7);
    check(g == x && f != x, "flip twice is the identity");
    const int64_t os[3] = {10, 40, 5}, st[3] = {-3, 2, 20};
    std::vector<float> cp(C * 10 * 40 * 5);
    crop_pad_cpu(x.data(), cp.data(), C, shape, os, st, -1.f);
    check(cp[0] == -1.f && cp[(3 * 40 + 0) * 5 + 0] == x[(0 * shape[1] + 2) * shape[2] + 20], "crop/pad maps indices");
    std::vector<float> z(1 << 18, 0.f), nz(1 << 18);
    gaussian_noise_cpu(z.data(), nz.data(), int64_t(z.size()), 42, 0, 1);
    double s = 0, q = 0;
    for (float v : nz) { s += v; q += double(v) * v; }
    check(std::fabs(s / nz.size()) < 0.01 && std::fabs(q / nz.size() - 1) < 0.02, "noise is standard normal");
  }

  if (!cuda_compiled() || cuda_device_count() == 0) {
    std::printf("CUDA kernels: skipped (%s)\n", cuda_compiled() ? "no GPU" : "not compiled in");
    return failures ? 1 : 0;
  }
#ifdef CLARA_WITH_CUDA
  // --- CUDA vs CPU ---
  for (int mode = 0; mode < 2; ++mode)
    for (int pad = 0; pad < 3; ++pad) {
      const int64_t os[3] = {30, 33, 19};
      const double a = 0.3, sc = 0.9;
      ResampleArgs r{x.data(), nullptr, C, {shape[0], shape[1], shape[2]}, {os[0], os[1], os[2]},
                     {sc * std::cos(a), -sc * std::sin(a), 0.1, -1.5, sc * std::sin(a), sc * std::cos(a), 0.05, 2.5, 0.02, 0, 1.1, -1.2},
                     Interp(mode), Pad(pad)};
      std::vector<float> cpu(C * os[0] * os[1] * os[2]), gpu(cpu.size());
      r.out = cpu.data(); resample_cpu(r);
      r.out = gpu.data();
      check(resample_cuda(r), "resample_cuda ran");
      check(mode == 0 ? cpu == gpu : close(gpu, cpu, 1e-5), mode == 0 ? "resample nearest CUDA == CPU" : "resample linear CUDA ~ CPU");
    }
  {
    std::vector<float> cpu(n), gpu(n);
    affine_intensity_cpu(x.data(), cpu.data(), n, 1 / 221.0, 57 / 221.0, true, 0, 1);
    check(affine_intensity_cuda(x.data(), gpu.data(), n, 1 / 221.0, 57 / 221.0, true, 0, 1), "affine_intensity_cuda ran");
    check(close(gpu, cpu, 1e-6), "affine intensity CUDA ~ CPU");
    for (int mask = 0; mask < 8; ++mask) {
      flip_cpu(x.data(), cpu.data(), C, shape, mask);
      check(flip_cuda(x.data(), gpu.data(), C, shape, mask), "flip_cuda ran");
      check(cpu == gpu, "flip CUDA == CPU");
    }
    gaussian_noise_cpu(x.data(), cpu.data(), n, 7, 0.5, 2.0);
    check(gaussian_noise_cuda(x.data(), gpu.data(), n, 7, 0.5, 2.0), "gaussian_noise_cuda ran");
    check(close(gpu, cpu, 1e-5), "noise CUDA ~ CPU (same counter-based stream)");
  }
  {
    const int64_t os[3] = {20, 35, 9}, st[3] = {-4, 3, 16};
    std::vector<float> cpu(C * 20 * 35 * 9), gpu(cpu.size());
    crop_pad_cpu(x.data(), cpu.data(), C, shape, os, st, 3.f);
    check(crop_pad_cuda(x.data(), gpu.data(), C, shape, os, st, 3.f), "crop_pad_cuda ran");
    check(cpu == gpu, "crop/pad CUDA == CPU");
  }
  if (std::getenv("CLARA_CUDA_BENCH")) {
    // 256^3 trilinear resample and noise: CPU (all pool threads) vs CUDA including the copies.
    const int64_t d = 256, m = d * d * d;
    const auto big = volume(m, 3);
    std::vector<float> o1(m), o2(m);
    ResampleArgs r{big.data(), o1.data(), 1, {d, d, d}, {d, d, d}, {0.9, -0.1, 0, 5, 0.1, 0.9, 0, -3, 0, 0, 1.1, 2}, Interp::Linear, Pad::Border};
    auto time = [](auto&& f) { auto t0 = std::chrono::steady_clock::now(); f(); return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    resample_cuda(r);  // warm up the context
    const double tc = time([&] { resample_cpu(r); });
    r.out = o2.data();
    const double tg = time([&] { resample_cuda(r); });
    const double nc = time([&] { gaussian_noise_cpu(big.data(), o1.data(), m, 1, 0, 1); });
    const double ng = time([&] { gaussian_noise_cuda(big.data(), o2.data(), m, 1, 0, 1); });
    std::printf("bench 256^3 resample linear: cpu %.1f ms, cuda %.1f ms (with copies); noise: cpu %.1f ms, cuda %.1f ms\n", tc * 1e3, tg * 1e3, nc * 1e3, ng * 1e3);
  }
  std::printf("CUDA kernels: compared with CPU (%s)\n", failures ? "FAILED" : "all equal");
#endif
  return failures ? 1 : 0;
}
