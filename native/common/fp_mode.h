// Floating-point mode for the compute kernels. Denormal (subnormal) floats cost
// ~100 cycles per operation on x86: after a few optimizer steps of a UNet some
// gradients decay into that range and one training step took 12x its normal
// CPU time. Kernels therefore run with flush-to-zero and denormals-are-zero
// set, scoped: the guard restores the caller's mode (the JS thread's float
// arithmetic stays IEEE), and parallel_for hands the caller's mode to its
// workers for the duration of each call.
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define CLARA_HAS_MXCSR 1
#endif

namespace clara {

inline unsigned fp_mode_get() {
#if defined(CLARA_HAS_MXCSR)
  return _mm_getcsr();
#else
  return 0;
#endif
}

inline void fp_mode_set(unsigned m) {
#if defined(CLARA_HAS_MXCSR)
  _mm_setcsr(m);
#else
  (void)m;
#endif
}

// Sets FTZ | DAZ for the lifetime of the guard.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(fp_mode_get()) { fp_mode_set(saved_ | 0x8040u); }
  ~FlushDenormals() { fp_mode_set(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_;
};

}  // namespace clara
