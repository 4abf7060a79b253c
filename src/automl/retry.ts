// Retries of a failed job (config_automl.json `max_failures`, or --set max_failures=N; 0 =
// none, Clara's behaviour): a job that fails (not one that finished, was pruned or was
// stopped) is tried again up to max_failures times. An out-of-memory failure is retried at
// a lower fidelity (src/automl/fidelity.ts: the batch halved, then a smaller patch), from
// a fresh job folder; any other failure continues from the job's last checkpoint when it
// has one. Every failed attempt is journalled with its kind (exit code, signal, timeout,
// out of memory, non-finite loss) and its log kept as log.attempt<N>.txt; the outcome
// lists the attempts and the fidelity it was reached at. A job that exhausts its retries
// scores as a failure does and says why.
import { readFileSync } from 'node:fs';
import { ClaraError } from '../util/errors.js';
import { saveAttemptLog } from './attempt-logs.js';
import { describeFidelity, jobFidelity, nextFidelity } from './fidelity.js';
import { resumableEpoch } from './job-checkpoint.js';
import type { Attempt, Executor, ExecutorHooks, Job, JobEvent, Outcome, Worker } from './types.js';

interface RetryOptions {
  maxFailures: number;
  log?: (line: string) => void;
}

function attemptOf(n: number, job: Job, out: Outcome): Attempt {
  return {
    attempt: n,
    status: out.status,
    fromEpoch: job.resumeFrom?.epoch ?? 0,
    ...(out.failure ? { failure: out.failure } : {}),
    ...(out.error ? { error: out.error } : {}),
    ...(job.fidelity ? { fidelity: job.fidelity } : {}),
  };
}

export class RetryingExecutor implements Executor {
  private readonly log: (line: string) => void;

  /** The inner executor's worker slots (a cluster's), when it places jobs itself. */
  readonly workerSlots?: () => Worker[];

  constructor(
    readonly inner: Executor,
    readonly o: RetryOptions,
  ) {
    this.log = o.log ?? ((l) => process.stderr.write(l + '\n'));
    if (inner.workerSlots) this.workerSlots = () => inner.workerSlots!();
  }

  cancelAll(): Promise<void> {
    return this.inner.cancelAll?.() ?? Promise.resolve();
  }

  async run(job: Job, worker: Worker, onProgress: (e: JobEvent) => void, signal: AbortSignal, hooks?: ExecutorHooks): Promise<Outcome> {
    const attempts: Attempt[] = [];
    let j = job;
    for (;;) {
      const out = await this.inner.run(j, worker, onProgress, signal, hooks);
      const a = attemptOf(attempts.length + 1, j, out);
      if (out.status === 'FINISHED' || out.status === 'PRUNED' || out.status === 'KILLED' || signal.aborted) {
        return attempts.length ? { ...out, attempts: [...attempts, a] } : out;
      }
      attempts.push(a);
      const kinds = attempts.map((x) => x.failure?.kind ?? x.status.toLowerCase()).join(', ');
      if (attempts.length > this.o.maxFailures) {
        return {
          ...out,
          attempts,
          error: `${out.error ?? out.status}; gave up after ${attempts.length} attempt(s) (max_failures ${this.o.maxFailures}; failures: ${kinds})`,
        };
      }
      let next: Job;
      const why = out.failure?.kind ?? out.status.toLowerCase();
      if (out.failure?.kind === 'out_of_memory') {
        const cur = j.fidelity ?? jobFidelity(j.mmarRoot);
        const nf = nextFidelity(cur);
        if (!nf) {
          return {
            ...out,
            attempts,
            error: `${out.error ?? 'out of memory'}; not retried: out of memory at ${describeFidelity(cur) || 'a size the config does not name'} and nothing left to shrink`,
          };
        }
        next = { ...j, fidelity: nf.next, resumeFrom: undefined };
        this.log(
          `automl: ${job.name} ran out of memory (${out.failure.evidence ?? 'no detail'}); retry ${attempts.length} of ${this.o.maxFailures} at a lower fidelity: ${nf.change}`,
        );
      } else {
        const epoch = resumableEpoch(j.mmarRoot);
        next = { ...j, resumeFrom: epoch !== undefined ? { epoch } : undefined };
        this.log(
          `automl: ${job.name} failed (${why}); retry ${attempts.length} of ${this.o.maxFailures} ${epoch !== undefined ? `from its epoch-${epoch} checkpoint` : 'from the start'}`,
        );
      }
      hooks?.retrying?.(a);
      saveAttemptLog(j.mmarRoot, a.attempt);
      // a retry is a new run of the job, never a re-attachment to the cluster job that failed
      delete next.schedulerId;
      j = next;
    }
  }
}

/** max_failures from --set or config_automl.json's top level (default 0: no retry). */
export function maxFailuresOf(cfgFile: string, vars: Record<string, string>): number {
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  } catch {
    /* readAutoMLConfig reports it */
  }
  const v = vars.max_failures ?? raw.max_failures;
  if (v === undefined) return 0;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new ClaraError(
      `max_failures must be an integer >= 0 (retries of a failed job), got ${JSON.stringify(v)}`,
      vars.max_failures !== undefined ? { path: '--set max_failures' } : { file: cfgFile, path: 'max_failures' },
    );
  }
  return n;
}
