// What the Slurm executor needs from a cluster, whichever way it talks to it (the CLI of a
// login node, or slurmrestd), and how Slurm's job states map to AutoML job statuses.
import type { JobStatus } from '../types.js';

/** The sbatch options every job of a search shares (config_automl.json executor.args). */
export interface SlurmJobOptions {
  partition?: string;
  gres?: string;
  cpusPerTask?: number;
  mem?: string;
  time?: string;
  account?: string;
  qos?: string;
  /** Extra sbatch command-line options (CLI only). */
  sbatchArgs?: string[];
}

/** One sbatch submission: a batch script and the job's options. */
export interface SlurmSubmission extends SlurmJobOptions {
  /** The batch script's text (starts with #!). */
  script: string;
  /** The script's path in the job folder (the CLI submits this file). */
  scriptFile: string;
  jobName: string;
  /** The job folder (working directory on the node; a shared filesystem). */
  workdir: string;
  /** stdout and stderr of the job. */
  output: string;
  /** Environment of the job (on top of the submitting one for the CLI). */
  env: Record<string, string>;
}

export interface SlurmJobInfo {
  id: string;
  /** Slurm's state name: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, NODE_FAIL, OUT_OF_MEMORY ... */
  state: string;
  reason?: string;
  /** The batch script's exit code and signal, when ended. */
  exitCode?: number;
  signal?: number;
}

export interface SlurmClient {
  /** 'cli' or 'rest', for messages. */
  readonly kind: string;
  /** Submits one job; returns its Slurm job id. */
  submit(s: SlurmSubmission): Promise<string>;
  /** The state of each id that Slurm still knows (ids it has forgotten are absent). */
  query(ids: string[]): Promise<Map<string, SlurmJobInfo>>;
  /** Cancels jobs (unknown or ended ids are not an error). */
  cancel(ids: string[]): Promise<void>;
}

/** States after which the job will not run again by itself. */
const TERMINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
]);
/** Ended through no fault of the job: it is submitted again. */
const LOST = new Set(['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL']);

/** Slurm prints e.g. "CANCELLED by 0"; the first word is the state. */
export function normState(s: string): string {
  return s.trim().split(/\s+/)[0].replace(/\+$/, '').toUpperCase();
}

export function isTerminal(state: string): boolean {
  return TERMINAL.has(normState(state));
}

export function isLost(state: string): boolean {
  return LOST.has(normState(state));
}

/**
 * The AutoML status of a job that ended in this Slurm state (before the score is read):
 * COMPLETED → FINISHED (if train_stats.json has a score), TIMEOUT/DEADLINE → TIMEOUT,
 * CANCELLED → KILLED when the executor cancelled it, FAILED otherwise (someone else did),
 * FAILED/OUT_OF_MEMORY/SPECIAL_EXIT → FAILED. Lost jobs (NODE_FAIL, PREEMPTED, BOOT_FAIL)
 * are resubmitted before they get here.
 */
export function statusOf(state: string, cancelledByUs: boolean): { status: JobStatus; why?: string } {
  const s = normState(state);
  if (s === 'COMPLETED') return { status: 'FINISHED' };
  if (s === 'TIMEOUT' || s === 'DEADLINE') return { status: 'TIMEOUT', why: `Slurm ended the job at its time limit (${s})` };
  if (s === 'CANCELLED') return cancelledByUs ? { status: 'KILLED' } : { status: 'FAILED', why: 'the job was cancelled outside AutoML (scancel)' };
  if (s === 'OUT_OF_MEMORY') return { status: 'FAILED', why: 'the job ran out of memory (Slurm state OUT_OF_MEMORY); raise executor.args.mem' };
  if (LOST.has(s)) return { status: 'FAILED', why: `the job was lost (${s}) too many times` };
  return { status: 'FAILED', why: `Slurm state ${s}` };
}

/** A raw wait status (squeue's exit_code) as exit code and signal. */
export function decodeWaitStatus(raw: number): { exitCode: number; signal: number } {
  return { exitCode: (raw >> 8) & 0xff, signal: raw & 0x7f };
}
