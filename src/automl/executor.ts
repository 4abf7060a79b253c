// MMARExecutor: a job is a cloned MMAR (automl/<run_id>/W<w>_<round>_J<job>/) with the
// concrete config/config_train.json, trained by `clara-train train -m JOBDIR` in a child
// process (CUDA_VISIBLE_DEVICES = the worker's GPUs, empty for a CPU slot) with an IPC
// channel for JobEvents; its output goes to JOBDIR/log.txt and its score is
// best_key_metric from the job's MMAR_CKPT_DIR/train_stats.json (models/ by default). Failure, a crash, a time limit or
// no score → -1000000 and the search goes on. Process handling stays behind the
// Executor interface (a cluster executor can replace it).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, statSync, readSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConcreteValues, SearchSpace } from '../config/search-types.js';
import { isJobEventMessage, type JobEvent } from '../jobs/events.js';
import { keyMetricOf } from '../jobs/key-metric.js';
import { keyMetricOfEvent } from '../jobs/objective.js';
import { jobCkptDir, jobTrainStatsFile } from '../jobs/paths.js';
import { readTrainStats, TRAIN_STATS_FILE, type TrainStats } from '../jobs/train-stats.js';
import { cloneMmar } from './mmar-clone.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/json-file.js';
import type { SearchSource } from './search-source.js';
import { FAILED_SCORE, type Executor, type Job, type JobStatus, type Outcome, type Worker } from './types.js';
import { StallWatch } from './stall-watch.js';
import { applyFidelity } from './fidelity.js';
import { keepAttemptLogs } from './attempt-logs.js';
import { MemoryWatch } from './memory-limit.js';
import { cgroupOomKills, classifyFailure, fileTail } from './failure-kind.js';

const here = dirname(fileURLToPath(import.meta.url));
/** bin/clara-train.js from src/automl or dist/automl. */
export const CLARA_BIN = resolve(here, '..', '..', 'bin', 'clara-train.js');

export interface MMARExecutorOptions {
  /** The source MMAR. */
  mmarRoot: string;
  /** The train config with `search` entries (absolute). */
  trainConfigFile: string;
  space: SearchSpace;
  source: SearchSource;
  /** Drop `search` entries from the concrete config (Clara's remove_search_augs). */
  removeSearchAugs?: boolean;
  keyMmarContentOnly?: boolean;
  /** Folders never cloned (work dir). */
  exclude?: string[];
  /** The child command; `{mmar}` is the job MMAR, `{config}` its config_train.json. Default: defaultTrainCommand(). */
  command?: string[];
  /** Seconds before a job is killed and scored as failed; 0 = no limit. */
  timeoutS?: number;
  /** Seconds without an event or log output before a job is stopped as stalled; 0 or unset = never. */
  stallS?: number;
  /** Name of the key metric in validation events (for history/pruning). */
  keyMetric?: string;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** 'file' (default): child output to log.txt only; 'console': also echoed. */
  msgDestination?: 'file' | 'console';
  /** Arguments appended to the command (a cross-validation fold's `--set fold=k num_folds=N`). */
  extraArgs?: string[];
  /** The folder under the job's MMAR_CKPT_DIR that holds train_stats.json (a fold's `fold<k>`). */
  statsSubdir?: string;
  /** A data-memory limit on the child (MiB; src/automl/memory-limit.ts). */
  memoryLimitMb?: number;
}

export class MMARExecutor implements Executor {
  constructor(readonly opts: MMARExecutorOptions) {}

  /** Clones the MMAR and writes the concrete config; returns the config path. */
  prepare(job: Job): string {
    const kept = keepAttemptLogs(job.mmarRoot);
    if (existsSync(job.mmarRoot)) rmSync(job.mmarRoot, { recursive: true, force: true });
    cloneMmar(this.opts.mmarRoot, job.mmarRoot, { keyContentOnly: this.opts.keyMmarContentOnly ?? true, exclude: this.opts.exclude ?? [] });
    kept.restore();
    const base = readJsonFile(this.opts.trainConfigFile);
    const concrete = this.opts.source.apply(base, this.opts.space, job.recommendation.values as ConcreteValues, {
      removeSearch: this.opts.removeSearchAugs ?? true,
      file: this.opts.trainConfigFile,
    });
    if (job.fidelity) applyFidelity(concrete, job.fidelity); // an out-of-memory back-off
    const file = join(job.mmarRoot, 'config', 'config_train.json');
    writeJsonAtomic(file, concrete);
    return file;
  }

  async run(job: Job, worker: Worker, onProgress: (e: JobEvent) => void, signal: AbortSignal): Promise<Outcome> {
    const base = { recommendation: job.recommendation, jobName: job.name };
    let configFile = join(job.mmarRoot, 'config', 'config_train.json');
    // A job continued from its last checkpoint keeps its folder (config, log, models) and trains with --resume.
    const resume = job.resumeFrom !== undefined && existsSync(configFile);
    try {
      // an earlier rung's folder (successive halving) or an interrupted job's (resume) is trained in again
      if (job.continues) configFile = continuedConfig(job);
      else if (!resume) configFile = this.prepare(job);
    } catch (e) {
      return { ...base, score: FAILED_SCORE, status: 'FAILED', error: `could not prepare the job MMAR: ${(e as Error).message}` };
    }
    const trainArgs = job.trainArgs ?? [];
    const cmd = [
      ...(this.opts.command ?? defaultTrainCommand()),
      ...(this.opts.extraArgs ?? []),
      ...trainArgs,
      ...(resume && !trainArgs.includes('--resume') ? ['--resume'] : []),
    ].map((a) => a.replace(/\{mmar\}/g, job.mmarRoot).replace(/\{config\}/g, configFile));
    const oomKillsBefore = cgroupOomKills();
    let memory: MemoryWatch | undefined;
    const logFile = join(job.mmarRoot, 'log.txt');
    const logFd = openSync(logFile, 'a');
    const history: { epoch: number; value: number }[] = [];
    let best: number | undefined;
    let stalledS: number | undefined;
    let lowerIsBetter = false;
    const result = await new Promise<{ code: number | null; sig: NodeJS.Signals | null; why?: JobStatus; err?: string }>((done) => {
      let why: JobStatus | undefined;
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(cmd[0], cmd.slice(1), {
          cwd: job.mmarRoot,
          // 'file': the child writes log.txt itself (survives the parent's death); 'console': teed here.
          stdio: this.opts.msgDestination === 'console' ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', logFd, logFd, 'ipc'],
          env: {
            ...process.env,
            ...this.opts.env,
            CUDA_VISIBLE_DEVICES: worker.gpus.join(','),
            MMAR_ROOT: job.mmarRoot,
            CLARA_JOB_NAME: job.name,
          },
        });
      } catch (e) {
        done({ code: null, sig: null, err: (e as Error).message });
        return;
      }
      if (this.opts.msgDestination === 'console') {
        const tee = (d: Buffer) => {
          writeSync(logFd, d);
          for (const line of d.toString('utf8').split('\n')) if (line) process.stdout.write(`[${job.name}] ${line}\n`);
        };
        child.stdout?.on('data', tee);
        child.stderr?.on('data', tee);
      }
      let timer: NodeJS.Timeout | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const kill = (status: JobStatus) => {
        if (why) return;
        why = status;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      };
      const onAbort = () => kill(signal.reason === 'prune' ? 'PRUNED' : 'KILLED');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      if (this.opts.timeoutS && this.opts.timeoutS > 0) timer = setTimeout(() => kill('TIMEOUT'), this.opts.timeoutS * 1000);
      // memory_limit_mb: a child over it is killed and recorded as out of memory
      if (this.opts.memoryLimitMb && child.pid !== undefined) memory = new MemoryWatch(child.pid, this.opts.memoryLimitMb, () => child.kill('SIGKILL'));
      const stall =
        this.opts.stallS && this.opts.stallS > 0
          ? new StallWatch(this.opts.stallS, logFile, (idle) => {
              stalledS = idle;
              kill('TIMEOUT');
            })
          : undefined;
      child.on('message', (m) => {
        stall?.touch();
        if (!isJobEventMessage(m)) return;
        const e = m.claraJobEvent;
        if (e.type === 'validation_end' && e.metrics) {
          const km = keyMetricOfEvent(e.info);
          if (km) lowerIsBetter = km.lowerIsBetter;
          const v = keyMetricOf(e.metrics, this.opts.keyMetric ?? km?.name);
          if (v !== undefined && e.epoch !== undefined) {
            history.push({ epoch: e.epoch, value: v });
            best = best === undefined ? v : lowerIsBetter ? Math.min(best, v) : Math.max(best, v);
          }
        }
        try {
          onProgress(e);
        } catch {
          /* progress consumers never break a job */
        }
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        stall?.stop();
        memory?.stop();
        signal.removeEventListener('abort', onAbort);
        done({ code: null, sig: null, why, err: e.message });
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        stall?.stop();
        memory?.stop();
        signal.removeEventListener('abort', onAbort);
        done({ code, sig, why });
      });
    });
    closeSync(logFd);
    // a cross-validation fold writes to MMAR_CKPT_DIR/fold<k>
    const statsFile = this.opts.statsSubdir ? join(jobCkptDir(job.mmarRoot), this.opts.statsSubdir, TRAIN_STATS_FILE) : jobTrainStatsFile(job.mmarRoot);
    const stats = readTrainStats(statsFile);
    historyFromStats(stats, history, this.opts.keyMetric, resume);
    if (stats?.key_metric_lower_is_better) lowerIsBetter = true;
    const out: Outcome = {
      ...base,
      score: FAILED_SCORE,
      status: 'FAILED',
      ...(history.length ? { history } : {}),
      ...(lowerIsBetter ? { lowerIsBetter } : {}),
      ...(resume ? { resumedFromEpoch: job.resumeFrom!.epoch } : {}),
      ...(job.fidelity ? { fidelity: job.fidelity } : {}),
    };
    const failure = () =>
      classifyFailure({
        code: result.code,
        signal: result.sig,
        timedOut: result.why === 'TIMEOUT',
        log: fileTail(logFile),
        ...(stats?.error ? { statsError: stats.error } : {}),
        ...(oomKillsBefore !== undefined ? { oomKillsBefore, oomKillsAfter: cgroupOomKills() } : {}),
        ...(memory?.exceededMb !== undefined ? { overLimit: { rssMb: memory.exceededMb, limitMb: memory.limitMb } } : {}),
      });
    if (result.why === 'PRUNED') {
      const s = stats?.best_key_metric ?? best;
      return { ...out, status: 'PRUNED', score: typeof s === 'number' && Number.isFinite(s) ? s : FAILED_SCORE };
    }
    if (result.why === 'KILLED') return { ...out, status: 'KILLED', error: 'stopped by the AutoML engine' };
    if (result.why === 'TIMEOUT') {
      return {
        ...out,
        status: 'TIMEOUT',
        failure: failure(),
        error:
          stalledS !== undefined
            ? `stalled: no progress event and no log output for ${Math.round(stalledS)}s (stall_s ${this.opts.stallS})`
            : `exceeded the time limit of ${this.opts.timeoutS}s`,
      };
    }
    if (result.err) return { ...out, failure: { kind: 'error' }, error: `could not run ${cmd[0]}: ${result.err}` };
    if (result.code !== 0) {
      const f = failure();
      return {
        ...out,
        failure: f,
        error: `train exited with ${result.sig ? `signal ${result.sig}` : `code ${result.code}`}${f.kind === 'out_of_memory' ? ' (out of memory)' : ''}; last log lines: ${tail(logFile)}`,
      };
    }
    const s = stats?.best_key_metric;
    if (stats && stats.status !== 'finished')
      return { ...out, failure: failure(), error: `train exited 0 but models/train_stats.json says ${stats.status}${stats.error ? `: ${stats.error}` : ''}` };
    if (typeof s !== 'number' || !Number.isFinite(s)) {
      const rel = relative(job.mmarRoot, statsFile);
      return { ...out, error: stats ? `${rel} has no best_key_metric (status ${stats.status})` : `no ${rel} was written` };
    }
    return { ...out, status: 'FINISHED', score: s };
  }
}

/** The concrete config of a job MMAR an earlier rung left (a promoted job trains on in it); an
 *  out-of-memory back-off of the promotion lowers its size there, in place (later rungs keep it). */
export function continuedConfig(job: Job): string {
  const file = join(job.mmarRoot, 'config', 'config_train.json');
  if (!existsSync(file)) throw new Error(`the job MMAR of the earlier rung is gone (${file}); was it removed (MMARHandler num_mmars_to_keep)?`);
  if (job.fidelity) {
    const concrete = readJsonFile(file);
    applyFidelity(concrete, job.fidelity);
    writeJsonAtomic(file, concrete);
  }
  return file;
}

/** `node bin/clara-train.js train -m {mmar}`, or CLARA_TRAIN_COMMAND (a JSON list of strings) when set. */
export function defaultTrainCommand(): string[] {
  const env = process.env.CLARA_TRAIN_COMMAND;
  if (env) {
    try {
      const c = JSON.parse(env);
      if (Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === 'string')) return c;
    } catch {
      /* fall through to the error */
    }
    throw new Error(`CLARA_TRAIN_COMMAND must be a JSON list of strings, got ${env}`);
  }
  return [process.execPath, CLARA_BIN, 'train', '-m', '{mmar}'];
}

/**
 * Fills the key-metric history from train_stats.json when no event brought it; with
 * `fillMissing` (a job continued after a resume) also the epochs before its checkpoint.
 * A successive-halving promotion keeps only its own rung's epochs.
 */
export function historyFromStats(stats: TrainStats | undefined, history: { epoch: number; value: number }[], keyMetric?: string, fillMissing = false): void {
  if (!stats?.val_metrics || (history.length > 0 && !fillMissing)) return;
  const have = new Set(history.map((h) => h.epoch));
  for (const v of stats.val_metrics) {
    const x = v.metrics[stats.key_metric_name] ?? keyMetricOf(v.metrics, keyMetric);
    if (x !== undefined && !have.has(v.epoch)) history.push({ epoch: v.epoch, value: x });
  }
  history.sort((a, b) => a.epoch - b.epoch);
}

/** The last lines of a log, for an error message. */
export function tail(file: string, bytes = 600): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, Math.max(0, size - buf.length));
    closeSync(fd);
    return buf.toString('utf8').trim().split('\n').slice(-4).join(' | ') || '(empty log)';
  } catch {
    return '(no log)';
  }
}
