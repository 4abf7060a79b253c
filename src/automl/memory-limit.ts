// A memory limit on a job's child process (executor arg `memory_limit_mb`): the shell's
// `ulimit -d` (RLIMIT_DATA: the process's private writable memory: heap, array buffers,
// tensors, thread stacks) is set before the train command is exec'ed, so that a job that
// needs more fails with a real allocation failure (native "out of memory", V8 "JavaScript
// heap out of memory", TensorFlow's OOM) that the retry back-off recognises, instead of
// the machine's OOM killer taking it (or a neighbour) down.
import { ClaraError, type ErrorPlace } from '../util/errors.js';

/** The command run under a data limit of `mb` MiB. */
export function withMemoryLimit(cmd: string[], mb: number): string[] {
  return ['/bin/sh', '-c', `ulimit -d ${Math.floor(mb * 1024)} && exec "$@"`, 'clara-job', ...cmd];
}

/** memory_limit_mb of the executor args: a number > 0 (MiB), or undefined (no limit). */
export function memoryLimitMb(args: Record<string, unknown>, place: ErrorPlace): number | undefined {
  const v = args.memory_limit_mb;
  if (v === undefined || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 64) {
    throw new ClaraError(`expected memory_limit_mb: a number of MiB >= 64 (0 = no limit), got ${JSON.stringify(v)}`, { ...place, path: `${place.path}.memory_limit_mb` });
  }
  return v;
}
