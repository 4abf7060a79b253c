#include "kernels/amx.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace clara {
namespace {

// The hardware / OS / permission check, once per process: "" when AMX may run.
std::string check_once() {
#if !defined(CLARA_AMX_COMPILED)
  return "not compiled in (the addon was built without the AMX kernels)";
#elif !(defined(__x86_64__) && defined(__linux__))
  return "not in CPU";
#else
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return "not in CPU";
  __cpuid_count(7, 0, a, b, c, d);
  const bool bf16 = (d >> 22) & 1u, tile = (d >> 24) & 1u;
  if (!bf16 || !tile) return "not in CPU";
  __cpuid(1, a, b, c, d);
  if (!((c >> 27) & 1u)) return "not enabled by OS (no OSXSAVE)";
  uint32_t lo = 0, hi = 0;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  const uint64_t xcr0 = (uint64_t(hi) << 32) | lo;
  if (((xcr0 >> 17) & 3u) != 3u) return "not enabled by OS (XCR0 bits 17/18 clear)";
  constexpr long kArchGetXcompPerm = 0x1022, kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
    return std::string("permission refused (arch_prctl ARCH_REQ_XCOMP_PERM: ") + std::strerror(errno) + ")";
  unsigned long perm = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &perm) != 0)
    return std::string("permission refused (arch_prctl ARCH_GET_XCOMP_PERM: ") + std::strerror(errno) + ")";
  if (!((perm >> kXfeatureXtiledata) & 1ul)) return "permission refused (tile data not in ARCH_GET_XCOMP_PERM)";
  return "";
#endif
}

const std::string& hardware_reason() {
  static const std::string r = check_once();
  return r;
}

bool env_disabled() {
  static const bool off = [] {
    const char* e = std::getenv("CLARA_AMX");
    return e != nullptr && (std::strcmp(e, "0") == 0 || std::strcmp(e, "off") == 0 || std::strcmp(e, "false") == 0);
  }();
  return off;
}

std::atomic<bool> g_enabled{true};
std::atomic<bool> g_fp32_three{[] {
  const char* e = std::getenv("CLARA_AMX_FP32");
  return e != nullptr && std::strcmp(e, "1") == 0;
}()};

}  // namespace

std::string amx_reason() {
  if (env_disabled()) return "disabled by CLARA_AMX=0";
  const std::string& r = hardware_reason();
  if (!r.empty()) return r;
  if (!g_enabled.load()) return "disabled at run time";
  return "";
}

bool amx_usable() { return !env_disabled() && hardware_reason().empty() && g_enabled.load(); }

void amx_set_enabled(bool on) { g_enabled.store(on); }

bool amx_fp32_three_products() { return g_fp32_three.load(); }
void amx_set_fp32_three_products(bool on) { g_fp32_three.store(on); }

}  // namespace clara
