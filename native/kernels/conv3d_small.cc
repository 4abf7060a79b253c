#include "kernels/conv3d_small.h"

#include <algorithm>
#include <array>
#include <utility>
#include <cstring>
#include <vector>

#include "common/scratch.h"
#include "common/thread_pool.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clara {
namespace {

inline int round_up16(int v) { return (v + 15) / 16 * 16; }

#if defined(__AVX512F__)
// round_bf16 on 16 lanes in registers (the same bits as round_bf16_copy)
inline __m512 round_bf16_vec(__m512 v) {
  const __m512i u = _mm512_castps_si512(v), hi = _mm512_set1_epi32(int(0xffff0000u));
  __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff),
                                                   _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1))));
  r = _mm512_and_si512(r, hi);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  r = _mm512_mask_mov_epi32(r, nan, _mm512_and_si512(_mm512_or_si512(u, _mm512_set1_epi32(0x00400000)), hi));
  return _mm512_castsi512_ps(r);
}
#endif

// out[r, j] = sum_i in[r, i] m[i, j] for rows r; m is [I, J] (already rounded).
void rows_matmul(const float* in, int I, const float* m, int J, float* out, int64_t rows, bool round) {
#if defined(__AVX512F__)
  if (J <= 16 && 16 % J == 0 && I <= J) {
    // a vector holds the outputs of R = 16 / J rows: out = sum_i bcast_i * M_i, where
    // bcast_i (lane l: in[row l / J, i]) is one permute of the R*I inputs (one load)
    const int R = 16 / J;
    alignas(64) int32_t ix[16][16];
    alignas(64) float mv[16][16];
    for (int i = 0; i < I; ++i)
      for (int l = 0; l < 16; ++l) {
        ix[i][l] = (l / J) * I + i;
        mv[i][l] = m[size_t(i) * J + l % J];
      }
    parallel_for(rows, 4096, [&](int64_t b, int64_t e) {
      __m512i idx[16];
      __m512 mw[16];
      for (int i = 0; i < I; ++i) {
        idx[i] = _mm512_load_si512(ix[i]);
        mw[i] = _mm512_load_ps(mv[i]);
      }
      for (int64_t r = b; r < e; r += R) {
        const int nr = int(std::min<int64_t>(R, e - r));
        __m512 v = _mm512_maskz_loadu_ps(__mmask16((1u << (nr * I)) - 1u), in + r * I);
        if (round) v = round_bf16_vec(v);
        __m512 o = _mm512_mul_ps(_mm512_permutexvar_ps(idx[0], v), mw[0]);
        for (int i = 1; i < I; ++i) o = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx[i], v), mw[i], o);
        _mm512_mask_storeu_ps(out + r * J, __mmask16((1u << (nr * J)) - 1u), o);
      }
    });
    return;
  }
  if (J <= 16 && 16 % J == 0 && I > J && (16 / J) * I <= 64) {
    // the R = 16 / J rows of one output vector take up to four input vectors; lane l
    // (row l / J, output l % J) of the broadcast for input i is element f = (l / J)*I + i:
    // two two-source permutes (f % 32 of vectors 0-1 and 2-3) and a blend on f >= 32
    const int R = 16 / J, nin = R * I, nvec = (nin + 15) / 16;
    alignas(64) int32_t ix[16][16];
    alignas(64) float mv[16][16];
    __mmask16 hiv[16];
    for (int i = 0; i < I; ++i) {
      hiv[i] = 0;
      for (int l = 0; l < 16; ++l) {
        const int f = (l / J) * I + i;
        ix[i][l] = f % 32;
        if (f >= 32) hiv[i] = __mmask16(hiv[i] | (1u << l));
        mv[i][l] = m[size_t(i) * J + l % J];
      }
    }
    parallel_for(rows, 4096, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; r += R) {
        const int nr = int(std::min<int64_t>(R, e - r));
        const int n = nr * I;
        __m512 v[4];
        for (int k = 0; k < 4; ++k) {
          const int left = std::max(0, std::min(16, n - 16 * k));
          v[k] = k < nvec ? _mm512_maskz_loadu_ps(__mmask16(left >= 16 ? 0xffffu : (1u << left) - 1u), in + r * I + 16 * k)
                          : _mm512_setzero_ps();
          if (round) v[k] = round_bf16_vec(v[k]);
        }
        __m512 o = _mm512_setzero_ps();
        for (int i = 0; i < I; ++i) {
          const __m512i id = _mm512_load_si512(ix[i]);
          __m512 bc = _mm512_permutex2var_ps(v[0], id, v[1]);
          if (hiv[i]) bc = _mm512_mask_blend_ps(hiv[i], bc, _mm512_permutex2var_ps(v[2], id, v[3]));
          o = _mm512_fmadd_ps(bc, _mm512_load_ps(mv[i]), o);
        }
        _mm512_mask_storeu_ps(out + r * J, __mmask16(nr * J >= 16 ? 0xffffu : (1u << (nr * J)) - 1u), o);
      }
    });
    return;
  }
  if (I <= 16 && J < 8) {
    // few outputs per row: one masked 16-lane dot product per output
    std::vector<float> mt(size_t(J) * 16, 0.f);  // [J][16], zero past I
    for (int i = 0; i < I; ++i)
      for (int j = 0; j < J; ++j) mt[size_t(j) * 16 + i] = m[size_t(i) * J + j];
    const __mmask16 mask = __mmask16((1u << I) - 1u);
    parallel_for(rows, 4096, [&](int64_t b, int64_t e) {
      __m512 w[8];
      for (int j = 0; j < J; ++j) w[j] = _mm512_loadu_ps(mt.data() + size_t(j) * 16);
      for (int64_t r = b; r < e; ++r) {
        __m512 xv = _mm512_maskz_loadu_ps(mask, in + r * I);
        if (round) xv = round_bf16_vec(xv);
        float* o = out + r * J;
        for (int j = 0; j < J; ++j) o[j] = _mm512_reduce_add_ps(_mm512_mul_ps(xv, w[j]));
      }
    });
    return;
  }
#endif
  parallel_for(rows, 2048, [&](int64_t b, int64_t e) {
    std::vector<float> acc(static_cast<size_t>(J));
    for (int64_t r = b; r < e; ++r) {
      const float* x = in + r * I;
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int i = 0; i < I; ++i) {
        const float xv = round ? round_bf16(x[i]) : x[i];
        const float* mr = m + int64_t(i) * J;
        for (int j = 0; j < J; ++j) acc[size_t(j)] += xv * mr[j];
      }
      std::memcpy(out + r * J, acc.data(), sizeof(float) * size_t(J));
    }
  });
}

int64_t voxels(const Conv3DGeom& g) { return int64_t(g.n) * g.d * g.h * g.w; }

}  // namespace

bool conv3d_small_pointwise(const Conv3DGeom& g) {
  return g.kd == 1 && g.kh == 1 && g.kw == 1 && g.sd == 1 && g.sh == 1 && g.sw == 1 && g.pf == 0 && g.pt == 0 &&
         g.pl == 0 && g.od == g.d && g.oh == g.h && g.ow == g.w && std::min(g.cin, g.cout) < 8;
}

std::string pointwise_forward(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round) {
  std::vector<float> m(w, w + size_t(g.cin) * g.cout);
  if (round)
    for (float& v : m) v = round_bf16(v);
  rows_matmul(x, g.cin, m.data(), g.cout, y, voxels(g), round);
  return "";
}

std::string pointwise_backprop_input(const Conv3DGeom& g, const float* dy, const float* w, float* dx, bool round) {
  std::vector<float> mt(size_t(g.cin) * g.cout);  // [cout, cin]
  for (int ci = 0; ci < g.cin; ++ci)
    for (int co = 0; co < g.cout; ++co) {
      float v = w[size_t(ci) * g.cout + co];
      mt[size_t(co) * g.cin + ci] = round ? round_bf16(v) : v;
    }
  rows_matmul(dy, g.cout, mt.data(), g.cin, dx, voxels(g), round);
  return "";
}

std::string pointwise_backprop_filter(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round) {
  const int64_t rows = voxels(g);
  const int cin = g.cin, cout = g.cout;
  const size_t wsize = size_t(cin) * cout;
  const int T = int(std::max<int64_t>(1, std::min<int64_t>(num_threads(), rows / 4096 + 1)));
  std::vector<double> partial(size_t(T) * wsize, 0.0);
  // dw = the per-thread partial filters summed in double, in thread order (deterministic)
  auto reduce_partials = [&] {
    for (size_t k = 0; k < wsize; ++k) {
      double s = 0;
      for (int t = 0; t < T; ++t) s += partial[size_t(t) * wsize + k];
      dw[k] = float(s);
    }
  };
#if defined(__AVX512F__)
  if (wsize <= 16) {
    // lane l = (i, j) = (l / cout, l % cout) of dw: per voxel one permute of x and one
    // of dy, one multiply-add; float sums over 256 voxels, then double
    alignas(64) int32_t ixv[16], idv[16];
    for (int l = 0; l < 16; ++l) {
      ixv[l] = l < int(wsize) ? l / cout : 0;
      idv[l] = l < int(wsize) ? l % cout : 0;
    }
    parallel_for(T, 1, [&](int64_t tb, int64_t te) {
      const __m512i ixx = _mm512_load_si512(ixv), idd = _mm512_load_si512(idv);
      const __mmask16 mx = __mmask16((1u << cin) - 1u), md = __mmask16((1u << cout) - 1u);
      alignas(64) float tmp[16];
      for (int64_t t = tb; t < te; ++t) {
        double* part = partial.data() + size_t(t) * wsize;
        const int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
        for (int64_t b = r0; b < r1; b += 256) {
          const int64_t e = std::min(r1, b + 256);
          __m512 acc = _mm512_setzero_ps();
          for (int64_t r = b; r < e; ++r) {
            __m512 xv = _mm512_maskz_loadu_ps(mx, x + r * cin), dv = _mm512_maskz_loadu_ps(md, dy + r * cout);
            if (round) {
              xv = round_bf16_vec(xv);
              dv = round_bf16_vec(dv);
            }
            acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(ixx, xv), _mm512_permutexvar_ps(idd, dv), acc);
          }
          _mm512_store_ps(tmp, acc);
          for (size_t k = 0; k < wsize; ++k) part[k] += tmp[k];
        }
      }
    });
    reduce_partials();
    return "";
  }
#endif
  parallel_for(T, 1, [&](int64_t tb, int64_t te) {
    std::vector<float> acc(wsize), dr(static_cast<size_t>(cout));
    for (int64_t t = tb; t < te; ++t) {
      double* part = partial.data() + size_t(t) * wsize;
      const int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
      for (int64_t b = r0; b < r1; b += 256) {  // float sums over 256 voxels, then double
        const int64_t e = std::min(r1, b + 256);
        std::fill(acc.begin(), acc.end(), 0.f);
        for (int64_t r = b; r < e; ++r) {
          const float* xp = x + r * cin;
          const float* dp = dy + r * cout;
          for (int j = 0; j < cout; ++j) dr[size_t(j)] = round ? round_bf16(dp[j]) : dp[j];
          for (int i = 0; i < cin; ++i) {
            const float xv = round ? round_bf16(xp[i]) : xp[i];
            float* ar = acc.data() + size_t(i) * cout;
            for (int j = 0; j < cout; ++j) ar[j] += xv * dr[size_t(j)];
          }
        }
        for (size_t k = 0; k < wsize; ++k) part[k] += acc[k];
      }
    }
  });
  reduce_partials();
  return "";
}

bool conv3d_forward_c1(const Conv3DGeom& g) {
#if defined(__AVX512F__)
  return g.cin == 1 && g.cout <= 8 && g.kd == 3 && g.kh == 3 && g.kw == 3 && g.sd == 1 && g.sh == 1 && g.sw == 1;
#else
  (void)g;
  return false;
#endif
}

#if defined(__AVX512F__)
namespace {
// RW pixel pairs (output pixels 2m, 2m + 1 from m0) of one row: lane 2co + r of
// accumulator m is y[2m + r, co]; the 64-bit broadcast of strip[j], strip[j + 1]
// feeds pair m with width tap k = j - 2m, so each broadcast serves 1.5 taps on
// average and 8 output channels fill the vector.
template <int RW>
void c1_fwd_pairs(const float* const* strips, const int* abs, int nab, const float* wv, int m0, int ow, int cout,
                  float* yrow) {
  __m512 acc[RW];
  for (int m = 0; m < RW; ++m) acc[m] = _mm512_setzero_ps();
  for (int i = 0; i < nab; ++i) {
    const float* xs = strips[i] + 2 * m0;
    const float* w = wv + 48 * abs[i];  // taps (a, b, 0..2), 16 lanes each
    const __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 16), w2 = _mm512_load_ps(w + 32);
#pragma GCC unroll 40
    for (int j = 0; j < 2 * RW + 1; ++j) {
      double d;
      std::memcpy(&d, xs + j, sizeof d);
      const __m512 bx = _mm512_castpd_ps(_mm512_set1_pd(d));
      if (j % 2 == 0) {
        if (j / 2 < RW) acc[j / 2] = _mm512_fmadd_ps(bx, w0, acc[j / 2]);
        if (j >= 2) acc[j / 2 - 1] = _mm512_fmadd_ps(bx, w2, acc[j / 2 - 1]);
      } else if ((j - 1) / 2 < RW) {
        acc[(j - 1) / 2] = _mm512_fmadd_ps(bx, w1, acc[(j - 1) / 2]);
      }
    }
  }
  const __m512i idx = _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0);
  for (int m = 0; m < RW; ++m) {
    const int p = 2 * (m0 + m);
    const __m512 v = _mm512_permutexvar_ps(idx, acc[m]);  // [y(p) co 0..7, y(p + 1) co 0..7]
    float* yp = yrow + int64_t(p) * cout;
    if (cout == 8 && p + 1 < ow) {
      _mm512_storeu_ps(yp, v);
    } else {
      alignas(64) float tmp[16];
      _mm512_store_ps(tmp, v);
      std::memcpy(yp, tmp, sizeof(float) * size_t(cout));
      if (p + 1 < ow) std::memcpy(yp + cout, tmp + 8, sizeof(float) * size_t(cout));
    }
  }
}

using C1Fwd = void (*)(const float* const*, const int*, int, const float*, int, int, int, float*);
constexpr int kC1Pairs = 12;
template <int... R>
std::array<C1Fwd, sizeof...(R) + 1> make_c1_fwd(std::integer_sequence<int, R...>) {
  std::array<C1Fwd, sizeof...(R) + 1> t{};
  ((t[size_t(R + 1)] = &c1_fwd_pairs<R + 1>), ...);
  return t;
}
}  // namespace
#endif

std::string forward_c1(const Conv3DGeom& g, const float* x, const float* w, float* y, bool round) {
#if defined(__AVX512F__)
  static const auto tiles = make_c1_fwd(std::make_integer_sequence<int, kC1Pairs>{});
  // weights: lane 2co + r holds w[tap, co] for both r
  alignas(64) float wl[27 * 16] = {};
  for (int t = 0; t < 27; ++t)
    for (int co = 0; co < g.cout; ++co) {
      const float v = round ? round_bf16(w[t * g.cout + co]) : w[t * g.cout + co];
      wl[t * 16 + 2 * co] = wl[t * 16 + 2 * co + 1] = v;
    }
  const int wpd = g.ow + 3;  // strip column j is input column j - pl (zero outside)
  const int64_t rows = int64_t(g.n) * g.od * g.oh;
  parallel_for(rows, 8, [&](int64_t b, int64_t e) {
    thread_local std::vector<float> strip;
    if (strip.size() < size_t(9) * wpd) strip.resize(size_t(9) * wpd);
    const float* strips[9];
    int abs[9];
    for (int64_t row = b; row < e; ++row) {
      const int nn = int(row / (int64_t(g.od) * g.oh));
      const int rem = int(row % (int64_t(g.od) * g.oh));
      const int od = rem / g.oh, oh = rem % g.oh;
      int nab = 0;
      for (int a = 0; a < 3; ++a)
        for (int bb = 0; bb < 3; ++bb) {
          const int d = od + a - g.pf, h = oh + bb - g.pt;
          if (d < 0 || d >= g.d || h < 0 || h >= g.h) continue;
          const float* src = x + ((int64_t(nn) * g.d + d) * g.h + h) * g.w;
          float* s = strip.data() + size_t(nab) * wpd;
          // columns [lo, hi) of the strip lie inside the input row
          const int lo = std::min(wpd, std::max(0, g.pl)), hi = std::max(lo, std::min(wpd, g.w + g.pl));
          if (lo > 0) std::memset(s, 0, sizeof(float) * size_t(lo));
          if (round) round_bf16_copy(src + (lo - g.pl), s + lo, hi - lo);
          else std::memcpy(s + lo, src + (lo - g.pl), sizeof(float) * size_t(hi - lo));
          if (hi < wpd) std::memset(s + hi, 0, sizeof(float) * size_t(wpd - hi));
          strips[nab] = s;
          abs[nab] = a * 3 + bb;
          ++nab;
        }
      float* yrow = y + row * g.ow * int64_t(g.cout);
      const int npairs = (g.ow + 1) / 2;
      for (int m0 = 0; m0 < npairs; m0 += kC1Pairs)
        tiles[size_t(std::min(kC1Pairs, npairs - m0))](strips, abs, nab, wl, m0, g.ow, g.cout, yrow);
    }
  });
  return "";
#else
  (void)g; (void)x; (void)w; (void)y; (void)round;
  return "forward_c1 needs AVX-512";
#endif
}

bool conv3d_filter_grad_c1(const Conv3DGeom& g) {
#if defined(__AVX512F__)
  return g.cin == 1 && g.kd == 3 && g.kh == 3 && g.kw == 3;
#else
  (void)g;
  return false;
#endif
}

std::string backprop_filter_c1(const Conv3DGeom& g, const float* x, const float* dy, float* dw, bool round) {
#if defined(__AVX512F__)
  constexpr int K = 3, TAPS = 27;
  const int coutp = round_up16(g.cout);
  const int dp = (g.od - 1) * g.sd + K, hp = (g.oh - 1) * g.sh + K, wp = (g.ow - 1) * g.sw + K + 1;  // + 1: the pixel-pair path reads one column past the last tap
  // padded input (one channel) and the gradient with channels padded to 16
  float* xp = scratch_as<float>(ScratchSlot::kInput, size_t(g.n) * dp * hp * wp);
  float* dyp = scratch_as<float>(ScratchSlot::kGrad, size_t(g.n) * g.od * g.oh * g.ow * coutp);
  if (xp == nullptr || dyp == nullptr) return "out of memory for the padded input and gradient";
  parallel_for(int64_t(g.n) * dp, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int nn = int(i / dp), dd = int(i % dp) - g.pf;
      float* dst = xp + i * int64_t(hp) * wp;
      for (int hh = 0; hh < hp; ++hh) {
        const int sh = hh - g.pt;
        float* row = dst + int64_t(hh) * wp;
        if (dd < 0 || dd >= g.d || sh < 0 || sh >= g.h) {
          std::memset(row, 0, sizeof(float) * size_t(wp));
          continue;
        }
        const float* src = x + ((int64_t(nn) * g.d + dd) * g.h + sh) * g.w;
        for (int ww = 0; ww < wp; ++ww) {
          const int sw = ww - g.pl;
          const float v = sw < 0 || sw >= g.w ? 0.f : src[sw];
          row[ww] = round ? round_bf16(v) : v;
        }
      }
    }
  });
  if (g.cout <= 8 && g.sw == 1) {
    // pixel pairs: lane 2co + r of pair m holds dy[2m + r, co] (zero past the row),
    // the 64-bit broadcast of xp[2m + k], xp[2m + k + 1] matches it, so 8 output
    // channels fill the vector; lane pairs are summed at the end
    const int np = (g.ow + 1) / 2;
    const int64_t rows = int64_t(g.n) * g.od * g.oh;
    float* dyq = scratch_as<float>(ScratchSlot::kGrad, size_t(rows) * np * 16);
    if (dyq == nullptr) return "out of memory for the paired gradient";
    parallel_for(rows, 16, [&](int64_t b, int64_t e) {
      const __m512i idx = _mm512_set_epi32(15, 7, 14, 6, 13, 5, 12, 4, 11, 3, 10, 2, 9, 1, 8, 0);
      for (int64_t row = b; row < e; ++row) {
        const float* src = dy + row * g.ow * int64_t(g.cout);
        float* dst = dyq + row * np * 16;
        for (int m = 0; m < np; ++m) {
          alignas(64) float tmp[16] = {};
          const int two = std::min(2, g.ow - 2 * m);
          for (int r = 0; r < two; ++r) std::memcpy(tmp + 8 * r, src + int64_t(2 * m + r) * g.cout, sizeof(float) * size_t(g.cout));
          if (round) round_bf16_copy(tmp, tmp, 16);
          _mm512_storeu_ps(dst + 16 * m, _mm512_permutexvar_ps(idx, _mm512_load_ps(tmp)));
        }
      }
    });
    const int T = int(std::min<int64_t>(int64_t(num_threads()) * 4, rows));
    std::vector<double> partial(size_t(T) * TAPS * 16, 0.0);
    parallel_for(T, 1, [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        double* part = partial.data() + size_t(t) * TAPS * 16;
        const int64_t r0 = rows * t / T, r1 = rows * (t + 1) / T;
        for (int64_t rg = r0; rg < r1; rg += 8) {  // fp32 sums over 8 rows, then into double
          __m512 acc[TAPS];
          for (int k = 0; k < TAPS; ++k) acc[k] = _mm512_setzero_ps();
          for (int64_t row = rg; row < std::min(r1, rg + 8); ++row) {
            const int nn = int(row / (int64_t(g.od) * g.oh));
            const int rem = int(row % (int64_t(g.od) * g.oh));
            const int od = rem / g.oh, oh = rem % g.oh;
            const float* xr[9];
            for (int a = 0; a < K; ++a)
              for (int bb = 0; bb < K; ++bb)
                xr[a * K + bb] = xp + ((int64_t(nn) * dp + int64_t(od) * g.sd + a) * hp + int64_t(oh) * g.sh + bb) * wp;
            const float* dq = dyq + row * np * 16;
            for (int m = 0; m < np; ++m) {
              const __m512 dv = _mm512_loadu_ps(dq + 16 * m);
#pragma GCC unroll 9
              for (int ab = 0; ab < 9; ++ab)
#pragma GCC unroll 3
                for (int k = 0; k < K; ++k) {
                  double d;
                  std::memcpy(&d, xr[ab] + 2 * m + k, sizeof d);
                  acc[ab * K + k] = _mm512_fmadd_ps(_mm512_castpd_ps(_mm512_set1_pd(d)), dv, acc[ab * K + k]);
                }
            }
          }
          alignas(64) float tmp[16];
          for (int k = 0; k < TAPS; ++k) {
            _mm512_store_ps(tmp, acc[k]);
            for (int j = 0; j < 16; ++j) part[k * 16 + j] += tmp[j];
          }
        }
      }
    });
    for (int k = 0; k < TAPS; ++k)
      for (int co = 0; co < g.cout; ++co) {
        double sum = 0;
        for (int t = 0; t < T; ++t) sum += partial[(size_t(t) * TAPS + k) * 16 + 2 * co] + partial[(size_t(t) * TAPS + k) * 16 + 2 * co + 1];
        dw[size_t(k) * g.cout + co] = float(sum);
      }
    return "";
  }
  const int64_t opix = int64_t(g.n) * g.od * g.oh * g.ow;
  parallel_for(opix, 4096, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const float* s = dy + p * g.cout;
      float* d = dyp + p * coutp;
      for (int k = 0; k < g.cout; ++k) d[k] = round ? round_bf16(s[k]) : s[k];
      for (int k = g.cout; k < coutp; ++k) d[k] = 0.f;
    }
  });
  const int64_t rows = int64_t(g.n) * g.od * g.oh;
  const int T = int(std::min<int64_t>(int64_t(num_threads()) * 4, rows));
  const size_t psize = size_t(TAPS) * coutp;
  std::vector<double> partial(size_t(T) * psize, 0.0);
  const int nvec = coutp / 16;
  parallel_for(T, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      double* part = partial.data() + size_t(t) * psize;
      for (int64_t row = rows * t / T; row < rows * (t + 1) / T; ++row) {
        const int nn = int(row / (int64_t(g.od) * g.oh));
        const int rem = int(row % (int64_t(g.od) * g.oh));
        const int od = rem / g.oh, oh = rem % g.oh;
        const float* xr[9];
        for (int a = 0; a < K; ++a)
          for (int bb = 0; bb < K; ++bb)
            xr[a * K + bb] = xp + ((int64_t(nn) * dp + int64_t(od) * g.sd + a) * hp + int64_t(oh) * g.sh + bb) * wp;
        const float* dyrow = dyp + row * g.ow * int64_t(coutp);
        for (int v = 0; v < nvec; ++v) {
          __m512 acc[TAPS];
          for (int k = 0; k < TAPS; ++k) acc[k] = _mm512_setzero_ps();
          for (int o = 0; o < g.ow; ++o) {
            const __m512 dv = _mm512_loadu_ps(dyrow + int64_t(o) * coutp + 16 * v);
            const int xo = o * g.sw;
            for (int ab = 0; ab < 9; ++ab)
              for (int k = 0; k < K; ++k)
                acc[ab * K + k] = _mm512_fmadd_ps(_mm512_set1_ps(xr[ab][xo + k]), dv, acc[ab * K + k]);
          }
          alignas(64) float tmp[16];
          for (int k = 0; k < TAPS; ++k) {
            _mm512_store_ps(tmp, acc[k]);
            double* pk = part + size_t(k) * coutp + 16 * v;
            for (int j = 0; j < 16; ++j) pk[j] += tmp[j];
          }
        }
      }
    }
  });
  for (int k = 0; k < TAPS; ++k)
    for (int co = 0; co < g.cout; ++co) {
      double s = 0;
      for (int t = 0; t < T; ++t) s += partial[size_t(t) * psize + size_t(k) * coutp + co];
      dw[size_t(k) * g.cout + co] = float(s);
    }
  return "";
#else
  (void)g; (void)x; (void)dy; (void)dw; (void)round;
  return "backprop_filter_c1 needs AVX-512";
#endif
}

}  // namespace clara
