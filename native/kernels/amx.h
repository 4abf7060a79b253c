// Intel AMX (tile matrix multiply) availability: CPUID lists the tile and bf16
// units, the OS enables their state in XCR0, and Linux grants this process the
// tile-data permission (arch_prctl ARCH_REQ_XCOMP_PERM), asked once per process.
// CLARA_AMX=0 in the environment, or amx_set_enabled(false), turns it off.
// Plain C++ (no N-API); this file needs no AMX compiler flags.
#pragma once
#include <string>

namespace clara {

// True when the AMX bf16 kernels may run in this process (and enabled).
bool amx_usable();
// "" when usable, else why not: "not in CPU", "not enabled by OS (XCR0)",
// "permission refused (arch_prctl: ...)", "disabled by CLARA_AMX=0",
// "disabled at run time", "not compiled in".
std::string amx_reason();
// Run time switch (tests, benchmarks): off makes every convolution take the
// AVX-512 paths; on re-enables AMX where the hardware check passed.
void amx_set_enabled(bool on);

// Opt-in fp32 mode: fp32 convolutions as three bf16 tile products (hi*hi +
// hi*lo + lo*hi, hi = bf16(v), lo = bf16(v - hi)) where AMX is usable. Off by
// default (its error is larger than fp32's: see README); CLARA_AMX_FP32=1 or
// amx_set_fp32_three_products(true) turns it on.
bool amx_fp32_three_products();
void amx_set_fp32_three_products(bool on);

}  // namespace clara
