// Reusable scratch memory for the CPU kernels. Fresh pages cost a page fault
// each on first touch (several microseconds per 4 KiB page in these VMs: a
// 32 MiB buffer took longer to fault in than to compute on), so the kernels'
// temporary buffers (padded copies, per-thread partial sums) are kept per
// calling thread and grown only when a larger one is needed.
#pragma once
#include <cstddef>

namespace clara {

// Scratch slots: each is an independent buffer of the calling thread.
enum class ScratchSlot { kInput = 0, kGrad = 1, kPartial = 2, kCount = 3 };

// Returns a buffer of at least `bytes` bytes (64-byte aligned, contents
// unspecified) that stays valid until the next scratch() call for the same slot
// on the same thread.
void* scratch(ScratchSlot slot, size_t bytes);

template <typename T>
T* scratch_as(ScratchSlot slot, size_t count) {
  return static_cast<T*>(scratch(slot, count * sizeof(T)));
}

// Frees the calling thread's scratch buffers.
void scratch_release();

// Asks for transparent huge pages over the 2 MiB-aligned interior of [p, p+bytes)
// (madvise MADV_HUGEPAGE) when CLARA_HUGE_PAGES is set; otherwise, where
// unsupported and for small buffers a no-op. Off by default: with the kernel's
// THP defrag=madvise setting, a UNet step on output arrays advised this way ran
// up to 2x slower here (synchronous compaction at fault time), although a lone
// fresh 32 MiB write was 2-3x faster.
void advise_huge_pages(void* p, size_t bytes);

}  // namespace clara
