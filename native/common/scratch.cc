#include "common/scratch.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace clara {
namespace {

constexpr size_t kHuge = size_t(2) << 20;

struct Buffer {
  void* p = nullptr;
  size_t bytes = 0;
};

void free_buffer(Buffer& b) {
  if (b.p == nullptr) return;
#if defined(__linux__)
  munmap(b.p, b.bytes);
#else
  std::free(b.p);
#endif
  b.p = nullptr;
  b.bytes = 0;
}

struct ThreadScratch {
  Buffer slots[int(ScratchSlot::kCount)];
  ~ThreadScratch() {
    for (auto& b : slots) free_buffer(b);
  }
};

thread_local ThreadScratch tl_scratch;

}  // namespace

void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  static const bool on = std::getenv("CLARA_HUGE_PAGES") != nullptr;
  if (!on || bytes < 2 * kHuge) return;
  uintptr_t b = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~uintptr_t(kHuge - 1);
  uintptr_t e = (reinterpret_cast<uintptr_t>(p) + bytes) & ~uintptr_t(kHuge - 1);
  if (e > b) madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

void* scratch(ScratchSlot slot, size_t bytes) {
  Buffer& b = tl_scratch.slots[int(slot)];
  if (bytes <= b.bytes && b.p != nullptr) return b.p;
  free_buffer(b);
  // Grow by at least 1/8 so slowly growing requests do not remap every call.
  size_t want = bytes + bytes / 8;
  want = (want + kHuge - 1) / kHuge * kHuge;
#if defined(__linux__)
  void* p = mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  advise_huge_pages(p, want);
#else
  void* p = std::aligned_alloc(64, want);
  if (p == nullptr) return nullptr;
#endif
  b.p = p;
  b.bytes = want;
  return p;
}

void scratch_release() {
  for (auto& b : tl_scratch.slots) free_buffer(b);
}

}  // namespace clara
