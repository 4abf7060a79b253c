// automl/<run_id>/journal.jsonl: one JSON object a line, appended and fsync'ed per
// event, so that a search killed at any moment (kill -9 included) can resume: finished
// jobs are not rerun, running ones are, and the controller is rebuilt by replaying the
// outcomes in the order they arrived.
import { JsonlWriter, readJsonl } from '../util/jsonl.js';
import type { Attempt, Outcome, Recommendation } from './types.js';
import { spentSysRunTimeS } from './sys-run-time.js';

export type JournalEntry =
  | { type: 'run_start'; time: number; runId: string; seed: number; controller: string; workers: string[][]; resumed?: boolean }
  | { type: 'recommendations'; time: number; recommendations: Recommendation[] }
  | { type: 'job_start'; time: number; job: string; recommendationId: number; worker: number; round: number }
  | { type: 'job_submitted'; time: number; job: string; recommendationId: number; schedulerId: string }
  | { type: 'job_end'; time: number; job: string; worker: number; outcome: Outcome }
  /** A failed attempt of a job that is tried again (max_failures). */
  | { type: 'job_attempt'; time: number; job: string; attempt: Attempt }
  | { type: 'round_ended'; time: number; round: number }
  | { type: 'promotion'; time: number; trial: number; rung: number; epochs: number; job: string; reason: string }
  /** The search's wall time so far over all its sessions (max_sys_run_time across --resume: src/automl/sys-run-time.ts). */
  | { type: 'time_spent'; time: number; sysRunTimeS: number }
  | { type: 'run_end'; time: number; reason: string };

const WHAT = 'an AutoML journal holds one JSON entry per line';

export class Journal {
  private w: JsonlWriter<JournalEntry> | undefined;

  constructor(readonly file: string) {}

  /** Opens for appending (a torn last line left by a crash is cut off first). */
  open(): void {
    this.w ??= new JsonlWriter<JournalEntry>(this.file, WHAT);
  }

  append(e: JournalEntry): void {
    this.open();
    this.w!.append(e, true);
  }

  close(): void {
    this.w?.close();
    this.w = undefined;
  }

  /** The entries so far; a torn last line (a crash mid-write) is left out. */
  static read(file: string): JournalEntry[] {
    return readJsonl<JournalEntry>(file, 0, WHAT).lines.map((l) => l.value);
  }
}

/** What a journal says about a run, for resume. */
export interface JournalState {
  seed?: number;
  controller?: string;
  /** Outcomes of jobs that ended (not KILLED), in arrival order. */
  finished: Outcome[];
  /** Recommendations as journalled, by id. */
  recommendations: Map<number, Recommendation>;
  /** Jobs started and not ended (running at the kill), or ended KILLED (stopped by a signal). */
  interrupted: { job: string; recommendationId: number }[];
  /** Job names per recommendation id (last start). */
  jobNames: Map<number, string>;
  /** Cluster jobs that were queued or running at the kill: job name → scheduler id and worker (re-attached on resume). */
  attached: Map<string, { schedulerId: string; worker: number; recommendationId: number }>;
  /** Successive-halving promotions in decision order, and whether their job ended (not KILLED). */
  promotions: { trial: number; rung: number; epochs: number; job: string; ended: boolean }[];
  /** Seconds the search ran over its sessions so far (what max_sys_run_time has spent). */
  sysRunTimeS: number;
}

export function journalState(entries: JournalEntry[]): JournalState {
  const s: JournalState = {
    finished: [],
    recommendations: new Map(),
    interrupted: [],
    jobNames: new Map(),
    attached: new Map(),
    promotions: [],
    sysRunTimeS: spentSysRunTimeS(entries),
  };
  const running = new Map<string, number>();
  const workerOf = new Map<string, number>();
  const submitted = new Map<string, string>();
  const killed: { job: string; recommendationId: number }[] = [];
  for (const e of entries) {
    if (e.type === 'run_start') {
      if (s.seed === undefined) {
        s.seed = e.seed;
        s.controller = e.controller;
      }
    } else if (e.type === 'recommendations') {
      for (const r of e.recommendations) s.recommendations.set(r.id, r);
    } else if (e.type === 'job_start') {
      running.set(e.job, e.recommendationId);
      workerOf.set(e.job, e.worker);
      submitted.delete(e.job);
      s.jobNames.set(e.recommendationId, e.job);
    } else if (e.type === 'promotion') {
      s.promotions.push({ trial: e.trial, rung: e.rung, epochs: e.epochs, job: e.job, ended: false });
    } else if (e.type === 'job_submitted') {
      submitted.set(e.job, e.schedulerId);
    } else if (e.type === 'job_end') {
      running.delete(e.job);
      submitted.delete(e.job);
      if (e.outcome.status !== 'KILLED') {
        s.finished.push(e.outcome);
        for (const p of s.promotions) if (p.job === e.job) p.ended = true;
      } else killed.push({ job: e.job, recommendationId: e.outcome.recommendation.id });
    }
  }
  const done = new Set(s.finished.map((o) => o.recommendation.id));
  // a promotion shares its configuration's recommendation, whose first rung is done
  const promoted = new Set(s.promotions.map((p) => p.job));
  for (const [job, recommendationId] of running) {
    const id = submitted.get(job);
    if (id !== undefined && (!done.has(recommendationId) || promoted.has(job)))
      s.attached.set(job, { schedulerId: id, worker: workerOf.get(job) ?? 0, recommendationId });
  }
  s.interrupted = [
    ...killed.filter((k) => !done.has(k.recommendationId)),
    ...[...running.entries()].map(([job, recommendationId]) => ({ job, recommendationId })),
  ];
  return s;
}
