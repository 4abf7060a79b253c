// SlurmExecutor: each AutoML job is an sbatch job running `clara-train train -m JOBDIR` on a
// shared filesystem. The job MMAR is cloned as for local jobs; the batch script
// (JOBDIR/slurm_job.sh) exports MMAR_ROOT, CLARA_JOB_NAME and CLARA_EVENTS_FILE and runs the
// node_env lines first (module loads), and runs train with --resume-if-checkpoint, so that a
// requeued or resubmitted job continues from its last checkpoint; its output goes to
// JOBDIR/log.txt (a promotion of successive halving: slurm_job_<job>.sh, events_<job>.jsonl
// in its configuration's folder). Events come back
// through JOBDIR/events.jsonl (followed here, since IPC does not cross hosts), the state
// through one poll of every job of the search per interval. The Slurm id is reported to the
// engine (which journals it) so that a resumed search re-attaches instead of resubmitting.
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { EVENTS_FILE_ENV, EVENTS_FILE_NAME, EventFileFollower } from '../../jobs/event-file.js';
import { writeFileAtomic } from '../../util/atomic-fs.js';
import type { JobEvent } from '../../jobs/events.js';
import { keyMetricOf } from '../../jobs/key-metric.js';
import { jobCkptDir, jobTrainStatsFile } from '../../jobs/paths.js';
import { readTrainStats, TRAIN_STATS_FILE } from '../../jobs/train-stats.js';
import { keyMetricOfEvent } from '../../jobs/objective.js';
import { StallWatch } from '../stall-watch.js';
import { classifyFailure, fileTail } from '../failure-kind.js';
import { CLARA_BIN, MMARExecutor, continuedConfig, historyFromStats, tail, type MMARExecutorOptions } from '../executor.js';
import { FAILED_SCORE, type Executor, type ExecutorHooks, type Failure, type Job, type JobStatus, type Outcome, type Worker } from '../types.js';
import { isLost, isTerminal, normState, statusOf, type SlurmClient, type SlurmJobInfo, type SlurmJobOptions, type SlurmSubmission } from './slurm-client.js';

export interface SlurmExecutorOptions extends Omit<MMARExecutorOptions, 'msgDestination'> {
  client: SlurmClient;
  job: SlurmJobOptions;
  /** Shell lines run on the node before the job (module load ..., source venv ...). */
  nodeEnv?: string[];
  /** Seconds between polls of Slurm and of the events files (default 2). */
  pollS?: number;
  /** How often a job lost to NODE_FAIL / PREEMPTED / BOOT_FAIL (or forgotten by Slurm) is submitted again (default 3). */
  maxResubmits?: number;
  /** Jobs run at once (workers=slurm:N, else max_concurrent; default 1): one worker slot each. */
  concurrent?: number;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The train flag every Slurm job runs with: continue from the last checkpoint when there is one. */
const RESUME_IF_CHECKPOINT = '--resume-if-checkpoint';
/** How long a followed job may be unknown to Slurm before it counts as lost and is submitted again. */
const LOST_AFTER_MS = 15_000;

/** Errors of a controller that is restarting or unreachable (worth another try), not of a bad request. */
export function isTransient(e: unknown): boolean {
  return /Unable to contact slurm controller|connect failure|Connection refused|ECONNREFUSED|ECONNRESET|Socket timed out|timed out|ETIMEDOUT|Zero Bytes were transmitted|UND_ERR|HTTP 5\d\d|Resource temporarily unavailable|try again/i.test(
    e instanceof Error ? e.message : String(e),
  );
}

/** fn, tried again after 1, 2, 4, 8 and 16 s while it fails transiently. */
export async function retryTransient<T>(fn: () => Promise<T>, onRetry: (e: Error, waitS: number) => void, delaysS = [1, 2, 4, 8, 16]): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= delaysS.length || !isTransient(e)) throw e;
      onRetry(e as Error, delaysS[i]);
      await sleep(delaysS[i] * 1000);
    }
  }
}

/** Single-quotes a word for sh. */
export function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Polls Slurm once per interval for every watched job (one squeue for the whole search). */
class SlurmPoller {
  private readonly watched = new Map<string, (info: SlurmJobInfo | undefined) => void>();
  private loop: Promise<void> | undefined;
  private failures = 0;
  private kick: (() => void) | undefined;

  constructor(
    private readonly client: SlurmClient,
    private readonly intervalMs: number,
    private readonly log: (l: string) => void,
  ) {}

  /** `cb` gets the job's state at the next poll (a job new to the poller is polled at once). */
  watch(id: string, cb: (info: SlurmJobInfo | undefined) => void): void {
    const isNew = !this.watched.has(id);
    this.watched.set(id, cb);
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
    if (isNew) this.kick?.();
  }

  unwatch(id: string): void {
    this.watched.delete(id);
  }

  private async run(): Promise<void> {
    while (this.watched.size > 0) {
      const ids = [...this.watched.keys()];
      try {
        const infos = await this.client.query(ids);
        if (this.failures > 0) this.log(`slurm: ${this.client.kind} answers again after ${this.failures} failed poll(s)`);
        this.failures = 0;
        for (const id of ids) this.watched.get(id)?.(infos.get(id));
      } catch (e) {
        if (this.failures++ % 30 === 0) this.log(`slurm: could not poll job states (${(e as Error).message}); retrying`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.intervalMs);
        this.kick = () => {
          clearTimeout(t);
          r();
        };
      });
      this.kick = undefined;
    }
  }
}

/** A job's events file: events.jsonl in its folder; a successive-halving promotion, which trains on in
 *  its configuration's folder, has its own (events_<job>.jsonl), so that it follows only its own rung. */
function eventsFileOf(job: Job): string {
  return join(job.mmarRoot, job.continues ? `events_${job.name}.jsonl` : EVENTS_FILE_NAME);
}

/** SIGKILL for 9 (a Slurm job's ending signal), or the number as text. */
function signalName(n: number): string {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] ?? String(n);
}

export class SlurmExecutor implements Executor {
  private readonly local: MMARExecutor;
  private readonly poller: SlurmPoller;
  /** The jobs this executor is following: Slurm id → how to cancel it. */
  private readonly active: Map<string, (status: JobStatus) => void>;
  private readonly log: (l: string) => void;

  constructor(
    readonly opts: SlurmExecutorOptions,
    owner?: SlurmExecutor,
  ) {
    this.local = new MMARExecutor(opts);
    this.log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
    this.poller = owner?.poller ?? new SlurmPoller(opts.client, Math.max(50, (opts.pollS ?? 2) * 1000), this.log);
    this.active = owner?.active ?? new Map();
  }

  /** The executor of one cross-validation fold (each fold its own Slurm job): its extra train
   *  arguments and stats folder; one poll and one cancel list with this executor. */
  forFold(fold: { extraArgs: string[]; statsSubdir: string }): SlurmExecutor {
    return new SlurmExecutor({ ...this.opts, extraArgs: [...(this.opts.extraArgs ?? []), ...fold.extraArgs], statsSubdir: fold.statsSubdir }, this);
  }

  private statsFile(job: Job): string {
    return this.opts.statsSubdir ? join(jobCkptDir(job.mmarRoot), this.opts.statsSubdir, TRAIN_STATS_FILE) : jobTrainStatsFile(job.mmarRoot);
  }

  /** One worker slot per concurrent Slurm job (Slurm gives each its GPUs). */
  workerSlots(): Worker[] {
    return Array.from({ length: this.opts.concurrent ?? 1 }, (_, id) => ({ id, gpus: [] }));
  }

  /** The batch script of a job: train continues from the job's last checkpoint when there is one
   *  (--resume-if-checkpoint), so that a requeued or resubmitted job goes on instead of starting over. */
  script(job: Job, configFile: string): string {
    const trainArgs = job.trainArgs ?? [];
    const cmd = [
      ...(this.opts.command ?? [process.execPath, CLARA_BIN, 'train', '-m', '{mmar}']),
      ...(this.opts.extraArgs ?? []),
      ...trainArgs,
      ...(trainArgs.includes('--resume') ? [] : [RESUME_IF_CHECKPOINT]),
    ].map((a) => a.replace(/\{mmar\}/g, job.mmarRoot).replace(/\{config\}/g, configFile));
    const env: Record<string, string> = {
      ...this.opts.env,
      MMAR_ROOT: job.mmarRoot,
      CLARA_JOB_NAME: job.name,
      [EVENTS_FILE_ENV]: eventsFileOf(job),
    };
    return [
      '#!/bin/bash',
      `# ${job.name}: written by clara-train automl (SlurmExecutor)`,
      ...(this.opts.nodeEnv ?? []),
      ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
      'echo "slurm job ${SLURM_JOB_ID} (restart ${SLURM_RESTART_COUNT:-0}) on $(hostname) CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-}" >&2',
      `cd ${shQuote(job.mmarRoot)}`,
      `exec ${cmd.map(shQuote).join(' ')}`,
      '',
    ].join('\n');
  }

  private submission(job: Job, configFile: string): SlurmSubmission {
    const scriptFile = join(job.mmarRoot, job.continues ? `slurm_job_${job.name}.sh` : 'slurm_job.sh');
    const script = this.script(job, configFile);
    writeFileAtomic(scriptFile, script, 'Slurm batch script');
    return {
      ...this.opts.job,
      script,
      scriptFile,
      jobName: `clara-${job.name}`,
      workdir: job.mmarRoot,
      output: join(job.mmarRoot, 'log.txt'),
      env: { ...this.opts.env, MMAR_ROOT: job.mmarRoot, CLARA_JOB_NAME: job.name, [EVENTS_FILE_ENV]: eventsFileOf(job) },
    };
  }

  /** Cancels every job this executor follows (the stop path of any stop command). */
  async cancelAll(): Promise<void> {
    const ids = [...this.active.keys()];
    for (const cancel of [...this.active.values()]) cancel('KILLED');
    await this.opts.client.cancel(ids).catch(() => {
      /* each job's own scancel reports */
    });
  }

  async run(job: Job, _worker: Worker, onProgress: (e: JobEvent) => void, signal: AbortSignal, hooks?: ExecutorHooks): Promise<Outcome> {
    const base = { recommendation: job.recommendation, jobName: job.name };
    const client = this.opts.client;
    const eventsFile = eventsFileOf(job);
    const history: { epoch: number; value: number }[] = [];
    const follower = new EventFileFollower(eventsFile);
    let lowerFromEvents = false;
    let warned = false;
    /** The checkpoint epoch a requeued, resubmitted or resumed run of the job continued from. */
    let resumedFrom: number | undefined = job.resumeFrom?.epoch;
    // stall_s: no event and no growth of log.txt for that long while RUNNING → scancel, TIMEOUT.
    let stall: StallWatch | undefined;
    let stalledS: number | undefined;
    const drain = () => {
      const got = follower.poll();
      if (got.length) stall?.touch();
      if (follower.broken && !warned) {
        warned = true;
        this.log(`slurm: ${job.name}: no more events from it (${follower.broken}); its score still comes from train_stats.json`);
      }
      for (const e of got) {
        if (e.type === 'train_start') {
          // a requeued job continues from its checkpoint: the epochs after it are trained again
          const from = typeof e.info?.start_epoch === 'number' ? e.info.start_epoch : 0;
          if (from > 0 && (resumedFrom === undefined || from < resumedFrom)) resumedFrom = from;
          history.splice(0, history.length, ...history.filter((h) => h.epoch <= from));
        }
        if (e.type === 'validation_end' && e.metrics && e.epoch !== undefined) {
          const km = keyMetricOfEvent(e.info);
          if (km) lowerFromEvents = km.lowerIsBetter;
          const v = keyMetricOf(e.metrics, this.opts.keyMetric ?? km?.name);
          if (v !== undefined) history.push({ epoch: e.epoch, value: v });
        }
        try {
          onProgress(e);
        } catch {
          /* progress consumers never break a job */
        }
      }
    };

    let configFile = join(job.mmarRoot, 'config', 'config_train.json');
    const retryLog = (what: string) => (e: Error, s: number) => this.log(`slurm: ${job.name}: ${what} failed (${e.message}); trying again in ${s} s`);
    // A job submitted again keeps its folder (log.txt, events.jsonl, checkpoints) when it still has its config;
    // a promotion (successive halving) trains on in its configuration's folder.
    const submit = async (fresh: boolean): Promise<string> => {
      if (job.continues) configFile = continuedConfig(job);
      else if (fresh || !existsSync(configFile)) configFile = this.local.prepare(job);
      const sub = this.submission(job, configFile);
      const id = await retryTransient(() => client.submit(sub), retryLog('submitting'));
      hooks?.submitted?.(id);
      return id;
    };

    let id = job.schedulerId;
    let resubmits = 0;
    try {
      if (id) {
        const known = (await retryTransient(() => client.query([id!]), retryLog('asking Slurm about it'))).get(id);
        if (!known) {
          this.log(`slurm: ${job.name}: job ${id} is unknown to Slurm (lost); submitting it again`);
          id = undefined;
        } else this.log(`slurm: ${job.name}: re-attached to job ${id} (${normState(known.state)})`);
      }
      if (!id) {
        if (signal.aborted)
          return { ...base, score: FAILED_SCORE, status: signal.reason === 'prune' ? 'PRUNED' : 'KILLED', error: 'stopped before it was submitted' };
        // a job continued from its checkpoint (a resumed search, a retry) keeps its folder
        id = await submit(job.schedulerId === undefined && job.resumeFrom === undefined);
      }
    } catch (e) {
      return { ...base, score: FAILED_SCORE, status: 'FAILED', error: `could not submit the job to Slurm (${client.kind}): ${(e as Error).message}` };
    }

    let why: JobStatus | undefined;
    let cancelled = false;
    let runningSince: number | undefined;
    let final: SlurmJobInfo | undefined;
    let seen = false;
    let unknownSince: number | undefined;
    const cancel = (status: JobStatus) => {
      if (why) return;
      why = status;
      cancelled = true;
      client.cancel([id!]).catch((e) => this.log(`slurm: scancel ${id} failed: ${(e as Error).message}`));
    };
    const onAbort = () => cancel(signal.reason === 'prune' ? 'PRUNED' : 'KILLED');
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.active.set(id, cancel);
    try {
      for (;;) {
        const info = await new Promise<SlurmJobInfo | undefined>((res) => this.poller.watch(id!, res));
        drain();
        if (!info) {
          // Forgotten by slurmctld and not in the completion log.
          if (seen && readTrainStats(this.statsFile(job))?.status === 'finished') {
            final = { id: id!, state: 'COMPLETED' };
            break;
          }
          // A restarting controller may not know a job for a moment: lost only after a while.
          unknownSince ??= Date.now();
          if (!cancelled && Date.now() - unknownSince < LOST_AFTER_MS) continue;
          unknownSince = undefined;
          if (cancelled || resubmits >= (this.opts.maxResubmits ?? 3)) {
            final = { id: id!, state: cancelled ? 'CANCELLED' : 'NODE_FAIL' };
            break;
          }
          resubmits++;
          this.log(`slurm: ${job.name}: job ${id} is unknown to Slurm; submitting it again (${resubmits})`);
          this.active.delete(id!);
          this.poller.unwatch(id!);
          id = await submit(false);
          this.active.set(id, cancel);
          continue;
        }
        seen = true;
        unknownSince = undefined;
        const st = normState(info.state);
        if (st === 'RUNNING' && runningSince === undefined) {
          runningSince = Date.now();
          if (this.opts.stallS && this.opts.stallS > 0 && !stall) {
            stall = new StallWatch(this.opts.stallS, join(job.mmarRoot, 'log.txt'), (idle) => {
              stalledS = idle;
              cancel('TIMEOUT');
            });
          }
        }
        if (st === 'PENDING' && runningSince !== undefined) {
          runningSince = undefined;
          stall?.stop();
          stall = undefined;
        } // requeued by Slurm
        if (this.opts.timeoutS && runningSince !== undefined && Date.now() - runningSince > this.opts.timeoutS * 1000) cancel('TIMEOUT');
        if (!isTerminal(st)) continue;
        if (isLost(st) && !cancelled && resubmits < (this.opts.maxResubmits ?? 3)) {
          resubmits++;
          this.log(`slurm: ${job.name}: job ${id} ended ${st}; submitting it again (${resubmits})`);
          this.active.delete(id!);
          this.poller.unwatch(id!);
          id = await submit(false);
          this.active.set(id, cancel);
          runningSince = undefined;
          stall?.stop();
          stall = undefined;
          continue;
        }
        final = info;
        break;
      }
    } catch (e) {
      return { ...base, score: FAILED_SCORE, status: 'FAILED', error: `lost track of Slurm job ${id}: ${(e as Error).message}` };
    } finally {
      stall?.stop();
      this.poller.unwatch(id!);
      this.active.delete(id!);
      signal.removeEventListener('abort', onAbort);
    }
    // The events written last are on disk once the job has ended.
    drain();
    return this.outcome(job, id!, final!, why, history, base, lowerFromEvents, stalledS, resumedFrom);
  }

  private outcome(
    job: Job,
    id: string,
    info: SlurmJobInfo,
    why: JobStatus | undefined,
    history: { epoch: number; value: number }[],
    base: { recommendation: Job['recommendation']; jobName: string },
    lowerFromEvents: boolean,
    stalledS?: number,
    resumedFrom?: number,
  ): Outcome {
    const stats = readTrainStats(this.statsFile(job));
    // a continued job's epochs before its checkpoint come from its stats (a promotion keeps its own rung's)
    historyFromStats(stats, history, this.opts.keyMetric, resumedFrom !== undefined && !job.continues);
    const lowerIsBetter = stats?.key_metric_lower_is_better === true || lowerFromEvents;
    const out: Outcome = {
      ...base,
      score: FAILED_SCORE,
      status: 'FAILED',
      ...(history.length ? { history } : {}),
      ...(lowerIsBetter ? { lowerIsBetter } : {}),
      ...(resumedFrom !== undefined && !job.continues ? { resumedFromEpoch: resumedFrom } : {}),
      ...(job.fidelity ? { fidelity: job.fidelity } : {}),
    };
    const logFile = join(job.mmarRoot, 'log.txt');
    const state = normState(info.state);
    if (why === 'PRUNED') {
      const s = stats?.best_key_metric ?? (history.length ? (lowerIsBetter ? Math.min : Math.max)(...history.map((h) => h.value)) : undefined);
      return { ...out, status: 'PRUNED', score: typeof s === 'number' && Number.isFinite(s) ? s : FAILED_SCORE };
    }
    if (why === 'KILLED') return { ...out, status: 'KILLED', error: `stopped by the AutoML engine (scancel ${id})` };
    if (why === 'TIMEOUT') {
      return {
        ...out,
        status: 'TIMEOUT',
        error:
          stalledS !== undefined
            ? `stalled: no progress event and no log output for ${Math.round(stalledS)}s (stall_s ${this.opts.stallS}; scancel ${id})`
            : `exceeded the time limit of ${this.opts.timeoutS}s (scancel ${id})`,
      };
    }
    const m = statusOf(state, false);
    const where = `Slurm job ${id}${info.exitCode !== undefined ? `, exit ${info.exitCode}${info.signal ? ` signal ${info.signal}` : ''}` : ''}`;
    if (m.status !== 'FINISHED') {
      // the failure's kind, as for a local job (an out-of-memory one is retried at a lower fidelity: max_failures)
      const failure: Failure =
        state === 'OUT_OF_MEMORY'
          ? { kind: 'out_of_memory', evidence: 'Slurm state OUT_OF_MEMORY (the job went over its memory allocation)' }
          : classifyFailure({
              code: info.exitCode ?? null,
              signal: info.signal ? signalName(info.signal) : null,
              timedOut: m.status === 'TIMEOUT',
              log: fileTail(logFile),
              ...(stats?.error ? { statsError: stats.error } : {}),
            });
      return { ...out, status: m.status, failure, error: `${m.why} (${where}); last log lines: ${existsSync(logFile) ? tail(logFile) : '(no log)'}` };
    }
    const s = stats?.best_key_metric;
    if (typeof s !== 'number' || !Number.isFinite(s)) {
      return {
        ...out,
        error: `${stats ? `models/train_stats.json has no best_key_metric (status ${stats.status})` : 'no models/train_stats.json was written'} (${where}); last log lines: ${tail(logFile)}`,
      };
    }
    return { ...out, status: 'FINISHED', score: s };
  }
}
