// Live status and control of a running search, through two files in its run folder, so
// that any shell (or a script on another host sharing the folder) can look and steer:
//   automl/<run_id>/status.json   written by the search (atomically) as jobs start,
//                                 progress and end: workers, running jobs with epoch
//                                 and ETA, finished jobs, best so far, applied commands
//   automl/<run_id>/control.jsonl commands appended by `clara-train automl stop|suspend|
//                                 resume-worker`, polled by the search every second
// Commands: stop (running jobs finish, no new one starts), stop_now (running jobs are
// ended through the executor's abort signal — the journal records them KILLED and
// --resume reruns them), suspend / resume of one worker (takes no new job / takes jobs
// again). Commands written before the search (re)started are not replayed.
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { JobEvent } from '../jobs/events.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/json-file.js';
import type { Context, Handler, Outcome, Worker } from './types.js';
import { betterThan } from '../jobs/objective.js';

export const CONTROL_FILE = 'control.jsonl';
const STATUS_FILE = 'status.json';

export type ControlVerb = 'stop' | 'stop_now' | 'suspend' | 'resume';
interface ControlCommand {
  id: string;
  time: number;
  command: ControlVerb;
  worker?: number;
}

interface RunningJobStatus {
  job: string;
  worker: number;
  started: number;
  /** Epochs completed so far (of `epochs`). */
  epoch: number;
  epochs?: number;
  /** Seconds left, from the mean epoch time so far. */
  eta_s?: number;
  train_loss?: number;
  val?: number;
}

export interface RunStatus {
  run_id: string;
  pid: number;
  host: string;
  state: 'running' | 'stopping' | 'stopping_now' | 'ended';
  started: number;
  updated: number;
  workers: { id: number; gpus: string[]; suspended: boolean; job?: string }[];
  running: RunningJobStatus[];
  finished: { job: string; status: string; score: number }[];
  best?: { job: string; score: number };
  /** Commands taken, oldest first (id, verb, when, result). */
  applied: { id: string; command: ControlVerb; worker?: number; time: number; result: string }[];
  end_reason?: string;
}

/** Appends a command (one line, fsync'ed) to the run folder's control file. */
export function sendControl(runRoot: string, c: { command: ControlVerb; worker?: number }): ControlCommand {
  const cmd: ControlCommand = { id: randomUUID(), time: Date.now(), command: c.command, ...(c.worker !== undefined ? { worker: c.worker } : {}) };
  // A plain O_APPEND write (not JsonlWriter, which refuses a file with a line that is not
  // JSON): the file may be edited by hand, and a stop must still get through.
  mkdirSync(runRoot, { recursive: true });
  const file = join(runRoot, CONTROL_FILE);
  // A line a crashed writer left without its newline is ended first, so this one stays whole.
  let torn = false;
  if (existsSync(file) && statSync(file).size > 0) {
    const last = Buffer.alloc(1);
    const rfd = openSync(file, 'r');
    try {
      readSync(rfd, last, 0, 1, statSync(file).size - 1);
    } finally {
      closeSync(rfd);
    }
    torn = last[0] !== 0x0a;
  }
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, (torn ? '\n' : '') + JSON.stringify(cmd) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return cmd;
}

/**
 * Commands after byte `offset` (whole lines only). Unlike a journal read, a line that is not
 * a command is skipped: the file is written by hand too, and the search never stops on it.
 */
export function readControl(file: string, offset: number): { commands: ControlCommand[]; offset: number } {
  if (!existsSync(file)) return { commands: [], offset: 0 };
  const size = statSync(file).size;
  if (size <= offset) return { commands: [], offset: size < offset ? 0 : offset };
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return { commands: [], offset };
  const commands: ControlCommand[] = [];
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    try {
      const c = JSON.parse(line) as ControlCommand;
      if (c && typeof c.id === 'string' && ['stop', 'stop_now', 'suspend', 'resume'].includes(c.command)) commands.push(c);
    } catch {
      /* not a command */
    }
  }
  return { commands, offset: offset + end + 1 };
}

export function readStatus(runRoot: string): RunStatus | undefined {
  const f = join(runRoot, STATUS_FILE);
  if (!existsSync(f)) return undefined;
  try {
    return readJsonFile(f) as RunStatus;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote the status still runs (only checkable on its host). */
export function statusAlive(s: RunStatus): boolean | undefined {
  if (s.host !== hostname()) return undefined;
  try {
    process.kill(s.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `epochs` of a job's concrete config (for jobs whose train_start does not say). */
function configEpochs(jobRoot: string | undefined): number | undefined {
  if (!jobRoot) return undefined;
  try {
    const e = (readJsonFile(join(jobRoot, 'config', 'config_train.json')) as { epochs?: unknown }).epochs;
    return typeof e === 'number' && e > 0 ? e : undefined;
  } catch {
    return undefined;
  }
}

/** What the control needs from the engine. */
interface EngineControls {
  stop(reason: string): void;
  drain(reason: string): void;
  suspendWorker(id: number, suspended: boolean): boolean;
}

/**
 * A handler that keeps status.json and polls control.jsonl. Added after the config's
 * handlers by the CLI; `attach(engine)` gives it the engine to steer.
 */
export class RunControl implements Handler {
  private engine: EngineControls | undefined;
  private runRoot = '';
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private status: RunStatus | undefined;
  private lastWrite = 0;
  private pendingWrite: NodeJS.Timeout | undefined;

  constructor(private readonly o: { pollMs?: number; minWriteMs?: number; log?: (l: string) => void } = {}) {}

  attach(engine: EngineControls): void {
    this.engine = engine;
  }

  private get log(): (l: string) => void {
    return this.o.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  startup(ctx: Context): void {
    this.runRoot = ctx.RUN_ROOT;
    const file = join(this.runRoot, CONTROL_FILE);
    this.offset = existsSync(file) ? statSync(file).size : 0;
    const workers = (ctx.props.workers as Worker[] | undefined) ?? [];
    const prev = Array.isArray(ctx.props.resumedOutcomes) ? (ctx.props.resumedOutcomes as Outcome[]) : [];
    this.status = {
      run_id: ctx.RUN_ID,
      pid: process.pid,
      host: hostname(),
      state: 'running',
      started: Date.now(),
      updated: Date.now(),
      workers: workers.map((w) => ({ id: w.id, gpus: w.gpus, suspended: false })),
      running: [],
      finished: [],
      applied: [],
    };
    for (const o of prev) this.noteOutcome(o);
    this.write(true);
    this.timer = setInterval(() => this.poll(), this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  private noteOutcome(o: Outcome): void {
    const s = this.status!;
    s.finished.push({ job: o.jobName, status: o.status, score: o.score });
    if (
      (o.status === 'FINISHED' || o.status === 'PRUNED') &&
      Number.isFinite(o.score) &&
      betterThan(o, s.best && { ...s.best, status: 'FINISHED', lowerIsBetter: o.lowerIsBetter })
    )
      s.best = { job: o.jobName, score: o.score };
  }

  /** Reads new commands and applies them. */
  poll(): void {
    if (!this.status) return;
    let r;
    try {
      r = readControl(join(this.runRoot, CONTROL_FILE), this.offset);
    } catch {
      return;
    }
    this.offset = r.offset;
    for (const c of r.commands) this.apply(c);
  }

  private apply(c: ControlCommand): void {
    const s = this.status!;
    let result: string;
    if (!this.engine) result = 'ignored: no engine attached';
    else if (c.command === 'stop') {
      this.engine.drain('stop requested (automl stop)');
      if (s.state === 'running') s.state = 'stopping';
      result = `stopping: ${s.running.length} running job(s) finish, no new job starts`;
    } else if (c.command === 'stop_now') {
      s.state = 'stopping_now';
      this.engine.stop('stop requested (automl stop --now)');
      result = `stopping now: ${s.running.length} running job(s) are ended (--resume reruns them)`;
    } else {
      const w = s.workers.find((x) => x.id === c.worker);
      if (c.worker === undefined || !w || !this.engine.suspendWorker(c.worker, c.command === 'suspend')) {
        result = `unknown worker ${c.worker}; workers are ${s.workers.map((x) => x.id).join(', ')}`;
      } else {
        w.suspended = c.command === 'suspend';
        result = c.command === 'suspend' ? `worker ${c.worker} suspended${w.job ? ` (${w.job} finishes first)` : ''}` : `worker ${c.worker} resumed`;
      }
    }
    s.applied.push({ id: c.id, command: c.command, ...(c.worker !== undefined ? { worker: c.worker } : {}), time: Date.now(), result });
    this.log(`automl: control: ${result}`);
    this.write(true);
  }

  startJob(ctx: Context): void {
    const s = this.status;
    if (!s || !ctx.JOB_NAME || !ctx.WORKER) return;
    s.running.push({ job: ctx.JOB_NAME, worker: ctx.WORKER.id, started: Date.now(), epoch: 0 });
    const w = s.workers.find((x) => x.id === ctx.WORKER!.id);
    if (w) w.job = ctx.JOB_NAME;
    this.write(true);
  }

  jobProgress(ctx: Context, e: JobEvent): void {
    const r = this.status?.running.find((x) => x.job === ctx.JOB_NAME);
    if (!r) return;
    if (e.type === 'train_start') {
      r.epochs = typeof e.info?.epochs === 'number' ? e.info.epochs : configEpochs(ctx.JOB_MMAR_ROOT);
      if (typeof e.info?.start_epoch === 'number') r.epoch = e.info.start_epoch;
    } else if (e.type === 'epoch_end' && e.epoch !== undefined) {
      r.epoch = e.epoch;
      if (typeof e.metrics?.train_loss === 'number') r.train_loss = e.metrics.train_loss;
      if (r.epochs && r.epoch > 0) r.eta_s = Math.round(((Date.now() - r.started) / 1000 / r.epoch) * (r.epochs - r.epoch));
    } else if (e.type === 'validation_end' && e.metrics) {
      const k = Object.keys(e.metrics).find((m) => m.startsWith('val_'));
      if (k) r.val = e.metrics[k];
    } else return;
    this.write(false);
  }

  endJob(ctx: Context): void {
    const s = this.status;
    if (!s) return;
    s.running = s.running.filter((x) => x.job !== ctx.JOB_NAME);
    const w = s.workers.find((x) => x.job === ctx.JOB_NAME);
    if (w) delete w.job;
    if (ctx.OUTCOME) this.noteOutcome(ctx.OUTCOME);
    this.write(true);
  }

  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pendingWrite) clearTimeout(this.pendingWrite);
    this.timer = undefined;
    this.pendingWrite = undefined;
    if (!this.status) return;
    this.poll();
    this.status.state = 'ended';
    this.status.running = [];
    for (const w of this.status.workers) delete w.job;
    this.write(true);
  }

  private write(now: boolean): void {
    if (!this.status) return;
    const due = this.lastWrite + (this.o.minWriteMs ?? 1000);
    if (!now && Date.now() < due) {
      if (!this.pendingWrite) {
        this.pendingWrite = setTimeout(() => {
          this.pendingWrite = undefined;
          this.write(true);
        }, due - Date.now());
        this.pendingWrite.unref();
      }
      return;
    }
    this.status.updated = Date.now();
    this.lastWrite = Date.now();
    try {
      writeJsonAtomic(join(this.runRoot, STATUS_FILE), this.status);
    } catch (e) {
      this.log(`automl: could not write ${STATUS_FILE}: ${(e as Error).message}`);
    }
  }
}
