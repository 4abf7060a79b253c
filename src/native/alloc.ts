// Keeps large freed blocks in the C heap so that new volumes do not page-fault their way in
// (see native/common/alloc_napi.cc for the measurement). Applied once when the addon loads;
// CLARA_KEEP_LARGE_BUFFERS=0 turns it off, and a user's own GLIBC_TUNABLES malloc settings win.

/** Blocks up to this size come from the heap instead of a fresh mmap. */
export const KEEP_BUFFERS_UP_TO = 1 << 30;
/** Free memory at the top of the heap kept for reuse before it is returned to the OS. */
export const KEEP_FREE_UP_TO = 1 << 30;

export interface NativeAlloc {
  /** mallopt(M_MMAP_THRESHOLD, M_TRIM_THRESHOLD); false where the C library is not glibc. */
  keepLargeBuffers(mmapThreshold: number, trimThreshold: number): boolean;
  /** glibc's mallinfo2: bytes in the heap arena and in mmapped blocks; null elsewhere. */
  mallocStats(): { heapBytes: number; mmappedBytes: number } | null;
}

export type LargeBufferPolicy = 'kept' | 'off' | 'user-tunables' | 'unsupported';

/** Decides and applies the policy; the result is reported by `clara-train info`. */
export function applyLargeBufferPolicy(addon: NativeAlloc, env: NodeJS.ProcessEnv = process.env): LargeBufferPolicy {
  if (env.CLARA_KEEP_LARGE_BUFFERS === '0') return 'off';
  if (/glibc\.malloc\.(mmap|trim)_threshold/.test(env.GLIBC_TUNABLES ?? '')) return 'user-tunables';
  return addon.keepLargeBuffers(KEEP_BUFFERS_UP_TO, KEEP_FREE_UP_TO) ? 'kept' : 'unsupported';
}
