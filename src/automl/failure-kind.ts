// Why a job's child process failed, from what it left: its exit code or signal, whether the
// executor's time limit stopped it, the tail of its log and train_stats.json's error, and
// the cgroup's count of kernel OOM kills. Out of memory is recognised from a native
// allocation failure (the addon's "out of memory for ..."), the tfjs / V8 ones ("Array
// buffer allocation failed", "JavaScript heap out of memory"), TensorFlow's ("OOM when
// allocating", ResourceExhausted), std::bad_alloc, ENOMEM, a SIGKILL while the kernel's
// oom_kill count of our cgroup went up (memory.events, cgroup v2), or the executor's
// memory_limit_mb watch killing it.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { Failure } from './types.js';

const OOM = [
  /out of memory/i,
  /Array buffer allocation failed/,
  /OOM when allocating/,
  /ResourceExhausted/,
  /std::bad_alloc/,
  /Cannot allocate memory/,
  /\bENOMEM\b/,
  /Reached heap limit/,
];
const NON_FINITE = /the training loss is (NaN|-?Infinity)|non-finite/i;

/** The last `bytes` of a file ('' when unreadable). */
export function fileTail(file: string, bytes = 16_384): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, Math.max(0, size - buf.length));
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** The first line of `text` that shows an out-of-memory failure. */
function oomLine(text: string): string | undefined {
  return text
    .split('\n')
    .find((l) => OOM.some((re) => re.test(l)))
    ?.trim()
    .slice(0, 300);
}

/** The kernel's OOM kills in this process's cgroup so far (cgroup v2 memory.events), or undefined where unknown. */
export function cgroupOomKills(): number | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return undefined;
    const ev = readFileSync(`/sys/fs/cgroup${line.slice(3).trim()}/memory.events`, 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(ev);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

interface ChildEnd {
  code: number | null;
  signal: string | null;
  /** The executor's time limit (or stall watch) stopped it. */
  timedOut?: boolean;
  /** The tail of the job's log. */
  log: string;
  /** train_stats.json's error, when it wrote one. */
  statsError?: string;
  /** cgroup OOM kills before the child started and after it ended. */
  oomKillsBefore?: number;
  oomKillsAfter?: number;
  /** The executor's memory limit killed it (src/automl/memory-limit.ts). */
  overLimit?: { rssMb: number; limitMb: number };
}

export function classifyFailure(e: ChildEnd): Failure {
  const exit = { ...(e.code !== null ? { exitCode: e.code } : {}), ...(e.signal ? { signal: e.signal } : {}) };
  if (e.timedOut) return { kind: 'timeout', ...exit };
  if (e.overLimit) {
    return {
      kind: 'out_of_memory',
      ...exit,
      evidence: `resident memory ${Math.round(e.overLimit.rssMb)} MiB went over memory_limit_mb ${e.overLimit.limitMb}; killed`,
    };
  }
  const oom = oomLine(`${e.statsError ?? ''}\n${e.log}`);
  if (oom) return { kind: 'out_of_memory', ...exit, evidence: oom };
  if (e.signal === 'SIGKILL' && e.oomKillsBefore !== undefined && e.oomKillsAfter !== undefined && e.oomKillsAfter > e.oomKillsBefore) {
    return { kind: 'out_of_memory', ...exit, evidence: `killed by SIGKILL while the cgroup's oom_kill count went ${e.oomKillsBefore} → ${e.oomKillsAfter}` };
  }
  const nf = `${e.statsError ?? ''}\n${e.log}`.split('\n').find((l) => NON_FINITE.test(l));
  if (nf) return { kind: 'non_finite_loss', ...exit, evidence: nf.trim().slice(0, 300) };
  if (e.signal) return { kind: 'signal', ...exit };
  if (e.code !== null && e.code !== 0) return { kind: 'exit_code', ...exit };
  return { kind: 'error', ...exit };
}
