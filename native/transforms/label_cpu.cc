// Label-side ops (CPU): foreground/background indices, bounding box, one-hot.
#include <algorithm>
#include <mutex>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {

void fg_bg_indices_cpu(const float* label, int64_t lc, const float* image, int64_t ic, int64_t sp, double thr,
                       std::vector<int32_t>* fg, std::vector<int32_t>* bg) {
  // Two passes over fixed chunks: count, then fill at prefix offsets (keeps increasing order).
  const int64_t chunk = 1 << 16;
  const int64_t nchunks = (sp + chunk - 1) / chunk;
  std::vector<int64_t> nf(nchunks + 1, 0), nb(nchunks + 1, 0);
  auto classify = [&](int64_t v) -> int {  // 1 fg, 2 bg, 0 neither
    bool f = false;
    for (int64_t c = 0; c < lc && !f; ++c) f = label[c * sp + v] > 0;
    if (f) return 1;
    if (!image) return 2;
    for (int64_t c = 0; c < ic; ++c)
      if (image[c * sp + v] > thr) return 2;
    return 0;
  };
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      int64_t f = 0, g = 0;
      for (int64_t v = ch * chunk, end = std::min(sp, v + chunk); v < end; ++v) {
        int r = classify(v);
        f += r == 1; g += r == 2;
      }
      nf[ch + 1] = f; nb[ch + 1] = g;
    }
  });
  for (int64_t ch = 0; ch < nchunks; ++ch) { nf[ch + 1] += nf[ch]; nb[ch + 1] += nb[ch]; }
  fg->assign(nf[nchunks], 0);
  bg->assign(nb[nchunks], 0);
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      int64_t f = nf[ch], g = nb[ch];
      for (int64_t v = ch * chunk, end = std::min(sp, v + chunk); v < end; ++v) {
        int r = classify(v);
        if (r == 1) (*fg)[f++] = static_cast<int32_t>(v);
        else if (r == 2) (*bg)[g++] = static_cast<int32_t>(v);
      }
    }
  });
}

bool bounding_box_cpu(const float* in, int64_t channels, const int64_t s[3], double thr, int64_t start[3],
                      int64_t end[3]) {
  const int64_t sp = s[0] * s[1] * s[2];
  std::mutex mu;
  int64_t lo[3] = {s[0], s[1], s[2]}, hi[3] = {-1, -1, -1};
  parallel_for(s[0], 1, [&](int64_t b, int64_t e) {
    int64_t l[3] = {s[0], s[1], s[2]}, h[3] = {-1, -1, -1};
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < s[1]; ++j)
        for (int64_t k = 0; k < s[2]; ++k) {
          const int64_t v = (i * s[1] + j) * s[2] + k;
          bool any = false;
          for (int64_t c = 0; c < channels && !any; ++c) any = in[c * sp + v] > thr;
          if (!any) continue;
          l[0] = std::min(l[0], i); h[0] = std::max(h[0], i);
          l[1] = std::min(l[1], j); h[1] = std::max(h[1], j);
          l[2] = std::min(l[2], k); h[2] = std::max(h[2], k);
        }
    std::lock_guard<std::mutex> lk(mu);
    for (int d = 0; d < 3; ++d) { lo[d] = std::min(lo[d], l[d]); hi[d] = std::max(hi[d], h[d]); }
  });
  if (hi[0] < 0) {
    for (int d = 0; d < 3; ++d) start[d] = end[d] = 0;
    return false;
  }
  for (int d = 0; d < 3; ++d) { start[d] = lo[d]; end[d] = hi[d] + 1; }
  return true;
}

void one_hot_cpu(const float* label, float* out, int64_t sp, int64_t n) {
  parallel_for(sp, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t c = 0; c < n; ++c) {
      float* o = out + c * sp;
      for (int64_t v = b; v < e; ++v) o[v] = label[v] == static_cast<float>(c) ? 1.f : 0.f;
    }
  });
}

}  // namespace clara
