// The Tracker handlers call: each call becomes a journal event (written before anything
// else happens), then the sinks are told to replay it in the background.
import type { MetricPoint, RunRef, RunStatus, Tracker } from './tracker.js';
import { JournalWriter, type JournalEvent } from './journal.js';
import { mlflowKey, mlflowKeys, paramValue, tagValue } from './keys.js';
import { encodeDouble } from './mlflow/values.js';
import type { Sink } from './sinks/sink.js';
import { resolve } from 'node:path';

export interface JournalRunInfo {
  localId: string;
  name: string;
  parent?: string;
  tags: Record<string, string>;
  ended?: RunStatus;
  deleted?: boolean;
}

export interface JournalTrackerOptions {
  journal: string;
  experimentName: string;
  sinks?: Sink[];
  /** How long flush() waits for the sinks (ms); default 30 s. */
  flushTimeoutMs?: number;
}

export class JournalTracker implements Tracker {
  readonly journal: JournalWriter;
  readonly experimentName: string;
  readonly sinks: Sink[];
  private readonly runs = new Map<string, JournalRunInfo>();
  private nextRun = 1;
  private readonly flushTimeoutMs: number;

  constructor(opts: JournalTrackerOptions) {
    this.journal = new JournalWriter(opts.journal);
    this.experimentName = opts.experimentName;
    this.sinks = opts.sinks ?? [];
    this.flushTimeoutMs = opts.flushTimeoutMs ?? 30_000;
    for (const e of this.journal.existing) {
      if (e.type === 'run_start') {
        this.runs.set(e.run, { localId: e.run, name: e.name, parent: e.parent, tags: e.tags });
        const n = Number(/^r(\d+)$/.exec(e.run)?.[1] ?? 0);
        if (n >= this.nextRun) this.nextRun = n + 1;
      } else if (e.type === 'run_end') {
        const r = this.runs.get(e.run);
        if (r) r.ended = e.status;
      } else if (e.type === 'run_delete') {
        const r = this.runs.get(e.run);
        if (r) r.deleted = true;
      } else if (e.type === 'run_reopen') {
        const r = this.runs.get(e.run);
        if (r) r.ended = undefined;
      }
    }
    // Anything journalled before a restart and not yet sent goes now.
    if (this.journal.existing.length > 1) for (const s of this.sinks) s.notify();
  }

  get journalPath(): string {
    return this.journal.file;
  }

  /** Runs already in the journal (from before a restart, and this session's). */
  knownRuns(): JournalRunInfo[] {
    return [...this.runs.values()];
  }

  findRun(name: string, parentId?: string): RunRef | undefined {
    for (const r of [...this.runs.values()].reverse()) if (r.name === name && r.parent === parentId && !r.deleted) return { localId: r.localId };
    return undefined;
  }

  private emit(e: JournalEvent, sync = false): void {
    this.journal.append(e, sync);
    for (const s of this.sinks) s.notify();
  }

  private check(run: RunRef): void {
    if (!this.runs.has(run.localId)) throw new Error(`tracking: unknown run '${run.localId}' (not started in ${this.journal.file})`);
  }

  async startRun(r: { name: string; parentId?: string; tags?: Record<string, string> }): Promise<RunRef> {
    if (r.parentId !== undefined && !this.runs.has(r.parentId)) throw new Error(`tracking: unknown parent run '${r.parentId}'`);
    const localId = `r${this.nextRun++}`;
    const tags = Object.fromEntries(Object.entries(mlflowKeys(r.tags ?? {})).map(([k, v]) => [k, tagValue(String(v))]));
    this.runs.set(localId, { localId, name: r.name, parent: r.parentId, tags });
    this.emit({ type: 'run_start', run: localId, experiment: this.experimentName, name: r.name, parent: r.parentId, tags, time: Date.now() }, true);
    return { localId };
  }

  logParams(run: RunRef, p: Record<string, string | number | boolean>): void {
    this.check(run);
    const params = Object.fromEntries(Object.entries(mlflowKeys(p)).map(([k, v]) => [k, paramValue(v)]));
    if (Object.keys(params).length) this.emit({ type: 'params', run: run.localId, params });
  }

  logMetrics(run: RunRef, m: MetricPoint[]): void {
    this.check(run);
    if (m.length === 0) return;
    const now = Date.now();
    this.emit({
      type: 'metrics',
      run: run.localId,
      metrics: m.map((x) => ({ key: mlflowKey(x.key), value: encodeDouble(x.value), step: Math.trunc(x.step), timestamp: Math.trunc(x.timestamp ?? now) })),
    });
  }

  setTags(run: RunRef, tags: Record<string, string>): void {
    this.check(run);
    const t = Object.fromEntries(Object.entries(mlflowKeys(tags)).map(([k, v]) => [k, tagValue(String(v))]));
    if (Object.keys(t).length) this.emit({ type: 'tags', run: run.localId, tags: t });
  }

  logArtifact(run: RunRef, localPath: string, artifactPath = ''): void {
    this.check(run);
    this.emit({ type: 'artifact', run: run.localId, path: resolve(localPath), artifactPath: artifactPath.replace(/^\/+|\/+$/g, '') });
  }

  async endRun(run: RunRef, status: RunStatus): Promise<void> {
    this.check(run);
    this.emit({ type: 'run_end', run: run.localId, status, time: Date.now() }, true);
    const r = this.runs.get(run.localId);
    if (r) r.ended = status;
  }

  /**
   * Moves a run to MLflow's "deleted" lifecycle stage: hidden from searches and the UI,
   * kept on disk (restorable with `mlflow runs restore`). Used for a job attempt that a
   * resumed AutoML run replaces, so that every job has one run.
   */
  async deleteRun(run: RunRef): Promise<void> {
    this.check(run);
    this.emit({ type: 'run_delete', run: run.localId, time: Date.now() }, true);
    const r = this.runs.get(run.localId);
    if (r) r.deleted = true;
  }

  /** The run continues (RUNNING again) with the metrics, params and tags it has: a resumed job's run. */
  async reopenRun(run: RunRef): Promise<void> {
    this.check(run);
    this.emit({ type: 'run_reopen', run: run.localId, time: Date.now() }, true);
    const r = this.runs.get(run.localId);
    if (r) r.ended = undefined;
  }

  /** `key\0step` of every metric point journalled for the run (so that a continued run logs no step twice). */
  loggedMetricSteps(run: RunRef): Set<string> {
    const out = new Set<string>();
    for (const e of this.journal.existing) if (e.type === 'metrics' && e.run === run.localId) for (const m of e.metrics) out.add(`${m.key}\0${m.step}`);
    return out;
  }

  /** Journal synced to disk; sinks given up to flushTimeoutMs to catch up. True when all did. */
  async flush(): Promise<void> {
    await this.waitForSinks();
  }

  /** Like flush(), and says whether every sink caught up within `timeoutMs`. */
  async waitForSinks(timeoutMs = this.flushTimeoutMs): Promise<boolean> {
    this.journal.sync();
    const ok = await Promise.all(this.sinks.map((s) => s.flush(timeoutMs)));
    return ok.every(Boolean);
  }

  async close(timeoutMs = this.flushTimeoutMs): Promise<boolean> {
    const ok = await this.waitForSinks(timeoutMs);
    for (const s of this.sinks) await s.close();
    this.journal.close();
    return ok;
  }
}
