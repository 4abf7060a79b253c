// Element-wise float output loops with non-temporal (streaming) stores for large outputs
// (CPU only). On this class of machine a regular store to a buffer beyond the L2 reads each
// line first (RFO) and ran at ~4 GB/s, streaming stores at ~10 GB/s (measured in the transforms
// benchmark's bandwidth probe); below kStreamMinBytes the output stays in cache for the next op.
#pragma once
#include <cstdint>

#if defined(__AVX512F__) && !defined(CLARA_NO_STREAM_STORES)
#include <immintrin.h>
#define CLARA_STREAM_AVX512 1
#endif

namespace clara {

// Outputs at least this large (bytes, whole op) use streaming stores.
constexpr int64_t kStreamMinBytes = int64_t(4) << 20;

#if defined(CLARA_STREAM_AVX512)
// out[i] for i in [b, e): vec(i) gives out[i..i+16) as a __m512 (full 16 lanes readable from
// the inputs), one(i) a single element. Stores are streamed when `stream`, aligned to 64 bytes
// by a scalar head; the caller's parallel_for joins, which orders the stores (sfence here too).
template <class V, class S>
inline void map16(float* out, int64_t b, int64_t e, bool stream, V vec, S one) {
  int64_t i = b;
  if (stream) {
    while (i < e && (reinterpret_cast<uintptr_t>(out + i) & 63) != 0) { out[i] = one(i); ++i; }
    for (; i + 16 <= e; i += 16) _mm512_stream_ps(out + i, vec(i));
    _mm_sfence();
  } else {
    for (; i + 16 <= e; i += 16) _mm512_storeu_ps(out + i, vec(i));
  }
  for (; i < e; ++i) out[i] = one(i);
}
#endif

}  // namespace clara
