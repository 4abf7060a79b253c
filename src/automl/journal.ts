// automl/<run_id>/journal.jsonl: one JSON object a line, appended and fsync'ed per
// event, so that a search killed at any moment (kill -9 included) can resume: finished
// jobs are not rerun, running ones are, and the controller is rebuilt by replaying the
// outcomes in the order they arrived.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Outcome, Recommendation } from './types.js';

export type JournalEntry =
  | { type: 'run_start'; time: number; runId: string; seed: number; controller: string; workers: string[][]; resumed?: boolean }
  | { type: 'recommendations'; time: number; recommendations: Recommendation[] }
  | { type: 'job_start'; time: number; job: string; recommendationId: number; worker: number; round: number }
  | { type: 'job_submitted'; time: number; job: string; recommendationId: number; schedulerId: string }
  | { type: 'job_end'; time: number; job: string; worker: number; outcome: Outcome }
  | { type: 'round_ended'; time: number; round: number }
  | { type: 'run_end'; time: number; reason: string };

export class Journal {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  open(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    this.fd = openSync(this.file, 'a');
  }

  append(e: JournalEntry): void {
    if (this.fd === undefined) this.open();
    writeSync(this.fd!, JSON.stringify(e) + '\n');
    fsyncSync(this.fd!);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The entries so far; a torn last line (a crash mid-write) is ignored. */
  static read(file: string): JournalEntry[] {
    if (!existsSync(file)) return [];
    const lines = readFileSync(file, 'utf8').split('\n');
    const out: JournalEntry[] = [];
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i].trim();
      if (!l) continue;
      try {
        out.push(JSON.parse(l) as JournalEntry);
      } catch (e) {
        if (i >= lines.length - 2) break; // torn tail
        throw new Error(`${file}: line ${i + 1} is not JSON: ${(e as Error).message}`);
      }
    }
    return out;
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
}

export function journalState(entries: JournalEntry[]): JournalState {
  const s: JournalState = { finished: [], recommendations: new Map(), interrupted: [], jobNames: new Map(), attached: new Map() };
  const running = new Map<string, number>();
  const workerOf = new Map<string, number>();
  const submitted = new Map<string, string>();
  const killed: { job: string; recommendationId: number }[] = [];
  for (const e of entries) {
    if (e.type === 'run_start') {
      if (s.seed === undefined) { s.seed = e.seed; s.controller = e.controller; }
    } else if (e.type === 'recommendations') {
      for (const r of e.recommendations) s.recommendations.set(r.id, r);
    } else if (e.type === 'job_start') {
      running.set(e.job, e.recommendationId);
      workerOf.set(e.job, e.worker);
      submitted.delete(e.job);
      s.jobNames.set(e.recommendationId, e.job);
    } else if (e.type === 'job_submitted') {
      submitted.set(e.job, e.schedulerId);
    } else if (e.type === 'job_end') {
      running.delete(e.job);
      submitted.delete(e.job);
      if (e.outcome.status !== 'KILLED') s.finished.push(e.outcome);
      else killed.push({ job: e.job, recommendationId: e.outcome.recommendation.id });
    }
  }
  const done = new Set(s.finished.map((o) => o.recommendation.id));
  for (const [job, recommendationId] of running) {
    const id = submitted.get(job);
    if (id !== undefined && !done.has(recommendationId)) s.attached.set(job, { schedulerId: id, worker: workerOf.get(job) ?? 0, recommendationId });
  }
  s.interrupted = [...killed.filter((k) => !done.has(k.recommendationId)), ...[...running.entries()].map(([job, recommendationId]) => ({ job, recommendationId }))];
  return s;
}
