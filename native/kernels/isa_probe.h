// Instruction-throughput probe: how many vfmadd231ps (fp32 FMA) and vdpbf16ps
// (AVX512-BF16 dot product) one core retires per cycle, with a given number of
// independent accumulator chains, so the bf16-vs-fp32 peak comparison is a
// measured throughput figure and not a latency artefact; and, where AMX is usable
// (the CPU has it, the OS enables it, Linux granted the tile permission: amx.h),
// the AMX tile product tdpbf16ps, which is where bf16 outruns fp32 on these Xeons.
// Plain C++ (no N-API).
#pragma once
#include <string>
#include <vector>

namespace clara {

struct IsaRate {
  std::string instr;   // "vfmadd231ps zmm", "vdpbf16ps zmm" or "tdpbf16ps tmm" (AMX, where usable)
  int chains;          // independent accumulators in the loop
  double per_ns;       // instructions retired per nanosecond (one thread)
  double per_cycle;    // per_ns / core GHz
  double gflops;       // per_ns * flops per instruction (fma: 32, dpbf16: 64, tdpbf16ps: 16384)
};

struct IsaProbe {
  double ghz = 0;                 // core clock from a chain of dependent 1-cycle adds
  std::vector<IsaRate> rates;     // empty entries for instructions not compiled in
};

// One thread; each figure is the best of `trials` runs of about `ms_each` milliseconds.
IsaProbe isa_probe(int trials, double ms_each);

}  // namespace clara
