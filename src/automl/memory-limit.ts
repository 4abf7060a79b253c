// A memory limit on a job's child process (executor arg `memory_limit_mb`), enforced the
// way Ray's memory monitor and the kernel's cgroup OOM killer do it: the child's resident
// memory (VmRSS: heap, array buffers, tensors, native buffers) is read every 100 ms and a
// child over the limit is killed (SIGKILL) and recorded as out of memory, so that the
// retry back-off lowers its batch or patch. A limit through setrlimit (ulimit -d / -v) was
// tried and dropped: an allocation that fails in a helper thread can leave the child
// deadlocked instead of failing.
import { readFileSync } from 'node:fs';
import { ClaraError, type ErrorPlace } from '../util/errors.js';

/** The resident memory of a process in MiB, or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryWatch {
  private readonly timer: NodeJS.Timeout;
  /** The resident memory seen over the limit (MiB), once it was. */
  exceededMb: number | undefined;

  constructor(
    pid: number,
    readonly limitMb: number,
    onExceed: (mb: number) => void,
    periodMs = 100,
  ) {
    this.timer = setInterval(() => {
      const mb = rssMb(pid);
      if (mb !== undefined && mb > limitMb && this.exceededMb === undefined) {
        this.exceededMb = mb;
        this.stop();
        onExceed(mb);
      }
    }, periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** memory_limit_mb of the executor args: a number of MiB >= 64, or undefined (0 or absent: no limit). */
export function memoryLimitMb(args: Record<string, unknown>, place: ErrorPlace): number | undefined {
  const v = args.memory_limit_mb;
  if (v === undefined || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 64) {
    throw new ClaraError(`expected memory_limit_mb: a number of MiB >= 64 (0 = no limit), got ${JSON.stringify(v)}`, {
      ...place,
      path: `${place.path}.memory_limit_mb`,
    });
  }
  return v;
}
