// Label-side ops (CPU): foreground/background indices, bounding box, one-hot.
#include <algorithm>
#include <memory>
#include <mutex>

#include "common/thread_pool.h"
#include "transforms/transform_ops.h"

namespace clara {

void fg_bg_indices_cpu(const float* label, int64_t lc, const float* image, int64_t ic, int64_t sp, double thr,
                       std::vector<int32_t>* fg, std::vector<int32_t>* bg) {
  // One branch-free pass over fixed chunks into per-chunk buffers (write the index, advance
  // the count by the test), then concatenated in order.
  const int64_t chunk = 1 << 16;
  const int64_t nchunks = (sp + chunk - 1) / chunk;
  std::vector<std::unique_ptr<int32_t[]>> fs(nchunks), bs(nchunks);
  std::vector<int64_t> nf(nchunks, 0), nb(nchunks, 0);
  parallel_for(nchunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      const int64_t lo = ch * chunk, hi = std::min(sp, lo + chunk);
      fs[ch].reset(new int32_t[hi - lo]);
      bs[ch].reset(new int32_t[hi - lo]);
      int32_t* f = fs[ch].get();
      int32_t* g = bs[ch].get();
      int64_t a = 0, z = 0;
      for (int64_t v = lo; v < hi; ++v) {
        bool isf = label[v] > 0;
        for (int64_t c = 1; c < lc; ++c) isf |= label[c * sp + v] > 0;
        bool isb = image == nullptr;
        for (int64_t c = 0; c < ic && image; ++c) isb |= static_cast<double>(image[c * sp + v]) > thr;
        f[a] = static_cast<int32_t>(v);
        g[z] = static_cast<int32_t>(v);
        a += isf;
        z += !isf & isb;
      }
      nf[ch] = a; nb[ch] = z;
    }
  });
  int64_t tf = 0, tb = 0;
  for (int64_t ch = 0; ch < nchunks; ++ch) { tf += nf[ch]; tb += nb[ch]; }
  fg->resize(tf);
  bg->resize(tb);
  int64_t of = 0, ob = 0;
  for (int64_t ch = 0; ch < nchunks; ++ch) {
    std::copy(fs[ch].get(), fs[ch].get() + nf[ch], fg->data() + of);
    std::copy(bs[ch].get(), bs[ch].get() + nb[ch], bg->data() + ob);
    of += nf[ch]; ob += nb[ch];
  }
}

bool bounding_box_cpu(const float* in, int64_t channels, const int64_t s[3], double thr, int64_t start[3],
                      int64_t end[3]) {
  const int64_t sp = s[0] * s[1] * s[2];
  std::mutex mu;
  int64_t lo[3] = {s[0], s[1], s[2]}, hi[3] = {-1, -1, -1};
  auto above = [&](int64_t v) {
    for (int64_t c = 0; c < channels; ++c)
      if (in[c * sp + v] > thr) return true;
    return false;
  };
  parallel_for(s[0], 1, [&](int64_t b, int64_t e) {
    int64_t l[3] = {s[0], s[1], s[2]}, h[3] = {-1, -1, -1};
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < s[1]; ++j) {
        // per row: the first and the last voxel above the threshold
        const int64_t row = (i * s[1] + j) * s[2];
        int64_t k0 = 0;
        while (k0 < s[2] && !above(row + k0)) ++k0;
        if (k0 == s[2]) continue;
        int64_t k1 = s[2] - 1;
        while (k1 > k0 && !above(row + k1)) --k1;
        l[0] = std::min(l[0], i); h[0] = std::max(h[0], i);
        l[1] = std::min(l[1], j); h[1] = std::max(h[1], j);
        l[2] = std::min(l[2], k0); h[2] = std::max(h[2], k1);
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
    for (int64_t c = 0; c < n; ++c) std::fill(out + c * sp + b, out + c * sp + e, 0.f);
    for (int64_t v = b; v < e; ++v) {
      const float l = label[v];
      const int64_t c = static_cast<int64_t>(l);
      if (l >= 0 && static_cast<float>(c) == l && c < n) out[c * sp + v] = 1.f;
    }
  });
}

}  // namespace clara
