// Logs one training run the way the AutoML handler logs a job: per-epoch metrics from
// JobEvents (step = epoch), the final score and status, the run's artifacts. The CLI's
// `train` command creates one (train never imports tracking) and feeds it events.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEvent } from '../jobs/events.js';
import type { TrainStats } from '../jobs/train-stats.js';
import { systemMetricNames, type SystemSample } from '../jobs/system-metrics.js';
import type { MetricPoint, RunRef, RunStatus, Tracker } from './tracker.js';
import { createTracker, type TrackingSetup } from './create-tracker.js';
import type { JournalTracker } from './journal-tracker.js';

/** Metric points of an epoch-level JobEvent (epoch_end, validation_end, train_end); others give none. */
export function jobEventMetrics(e: JobEvent): MetricPoint[] {
  if (e.type === 'system_metrics' && e.metrics && e.iteration !== undefined) {
    return Object.entries(e.metrics)
      .filter(([, v]) => typeof v === 'number')
      .map(([key, value]) => ({ key, value, step: e.iteration as number, timestamp: e.time }));
  }
  if (e.type !== 'epoch_end' && e.type !== 'validation_end' && e.type !== 'train_end') return [];
  if (e.epoch === undefined || !e.metrics) return [];
  return Object.entries(e.metrics)
    .filter(([, v]) => typeof v === 'number')
    .map(([key, value]) => ({ key, value, step: e.epoch as number, timestamp: e.time }));
}

export interface RunArtifact {
  path: string;
  artifactPath?: string;
}

export class TrainRunLogger {
  private ended = false;

  /** `seen`: `key\0step` already logged to the run (a continued run's earlier steps). */
  constructor(
    readonly tracker: Tracker,
    readonly run: RunRef,
    private readonly seen = new Set<string>(),
  ) {}

  static async start(
    tracker: Tracker,
    r: {
      name: string;
      parentId?: string;
      tags?: Record<string, string>;
      params?: Record<string, string | number | boolean>;
    },
  ): Promise<TrainRunLogger> {
    const run = await tracker.startRun({ name: r.name, parentId: r.parentId, tags: r.tags });
    if (r.params && Object.keys(r.params).length) tracker.logParams(run, r.params);
    return new TrainRunLogger(tracker, run);
  }

  /** Streams an event's epoch metrics (each (key, epoch) once). */
  onEvent(e: JobEvent): void {
    if (this.ended) return;
    const pts = jobEventMetrics(e).filter((p) => {
      const k = `${p.key}\0${p.step}`;
      if (this.seen.has(k)) return false;
      this.seen.add(k);
      return true;
    });
    if (pts.length) this.tracker.logMetrics(this.run, pts);
  }

  /** Metrics from train_stats.json that the events did not bring (a job run elsewhere, a lost stream). */
  logStats(stats: TrainStats): void {
    this.logEpochStats(stats);
    const tags: Record<string, string> = {};
    if (stats.backend) tags['clara.backend'] = stats.backend;
    if (stats.backend_reason) tags['clara.backend_reason'] = stats.backend_reason;
    if (stats.amp) tags['clara.amp'] = stats.amp;
    if (stats.key_metric_name) tags['clara.key_metric'] = stats.key_metric_name;
    if (Object.keys(tags).length) this.tracker.setTags(this.run, tags);
    if (stats.best_key_metric !== null && stats.best_key_metric !== undefined) {
      this.tracker.logMetrics(this.run, [
        { key: `best_${stats.key_metric_name || 'key_metric'}`, value: stats.best_key_metric, step: stats.best_key_metric_epoch ?? 0 },
      ]);
    }
  }

  /** The per-epoch metrics of train_stats.json not logged yet (step = epoch): a continued job's epochs whose events a kill lost. */
  logEpochStats(stats: TrainStats): void {
    const pts: MetricPoint[] = [];
    const perEpoch: [string, number[]][] = [
      ['train_loss', stats.train_loss],
      ['lr', stats.lr],
      ['epoch_time', stats.epoch_time],
      ['samples_per_s', stats.samples_per_s],
    ];
    for (const [key, xs] of perEpoch) (xs ?? []).forEach((value, i) => pts.push({ key, value, step: i + 1 }));
    for (const v of stats.val_metrics ?? []) for (const [key, value] of Object.entries(v.metrics)) pts.push({ key, value, step: v.epoch });
    const fresh = pts.filter((p) => !this.seen.has(`${p.key}\0${p.step}`));
    for (const p of fresh) this.seen.add(`${p.key}\0${p.step}`);
    if (fresh.length) this.tracker.logMetrics(this.run, fresh);
  }

  /** The system-metric samples of a job's system_metrics.jsonl not logged yet (step = the sample's index):
   *  a continued job's samples whose events a kill lost. Samples without an index are left out. */
  logSystemSamples(samples: SystemSample[]): void {
    const pts: MetricPoint[] = [];
    for (const s of samples) {
      if (s.i === undefined) continue;
      for (const [key, value] of Object.entries(systemMetricNames(s))) {
        const k = `${key}\0${s.i}`;
        if (this.seen.has(k)) continue;
        this.seen.add(k);
        pts.push({ key, value, step: s.i, ...(s.time !== undefined ? { timestamp: s.time } : {}) });
      }
    }
    if (pts.length) this.tracker.logMetrics(this.run, pts);
  }

  /** Final score, status, artifacts; ends the run. */
  async finish(f: { status: RunStatus; score?: number; step?: number; stats?: TrainStats | null; artifacts?: RunArtifact[]; error?: string }): Promise<void> {
    if (this.ended) return;
    if (f.stats) this.logStats(f.stats);
    if (f.score !== undefined) this.tracker.logMetrics(this.run, [{ key: 'score', value: f.score, step: f.step ?? 0 }]);
    if (f.error) this.tracker.setTags(this.run, { 'clara.error': f.error });
    for (const a of f.artifacts ?? []) if (existsSync(a.path)) this.tracker.logArtifact(this.run, a.path, a.artifactPath);
    this.ended = true;
    await this.tracker.endRun(this.run, f.status);
  }
}

/** The files of an MMAR (or job folder) worth keeping with its run. */
export function mmarArtifacts(root: string): RunArtifact[] {
  const out: RunArtifact[] = [];
  const cfg = join(root, 'config', 'config_train.json');
  if (existsSync(cfg)) out.push({ path: cfg, artifactPath: 'config' });
  for (const log of ['log.txt', join('models', 'log.txt')]) {
    if (existsSync(join(root, log))) {
      out.push({ path: join(root, log), artifactPath: '' });
      break;
    }
  }
  if (existsSync(join(root, 'models'))) out.push({ path: join(root, 'models'), artifactPath: 'models' });
  return out;
}

/**
 * For `clara-train train --tracking-uri URI` (or $MLFLOW_TRACKING_URI): a journal under
 * `<mmar>/tracking.jsonl`, a run named `runName`, and a logger to feed JobEvents to.
 * Call `close(stats, status)` at the end.
 */
export async function startTrainTracking(
  o: {
    mmarRoot: string;
    runName: string;
    trackingUri?: string;
    experimentName?: string;
    params?: Record<string, string | number | boolean>;
    tags?: Record<string, string>;
    journal?: string;
  } & Pick<TrackingSetup, 'env' | 'log'>,
): Promise<{ tracker: JournalTracker; logger: TrainRunLogger; close: (stats: TrainStats | null, status: RunStatus) => Promise<boolean> }> {
  const tracker = createTracker({
    journal: o.journal ?? join(o.mmarRoot, 'tracking.jsonl'),
    trackingUri: o.trackingUri,
    experimentName: o.experimentName,
    fallbackExperiment: mmarName(o.mmarRoot),
    env: o.env,
    log: o.log,
  });
  const logger = await TrainRunLogger.start(tracker, { name: o.runName, params: o.params, tags: { 'clara.mmar': o.mmarRoot, ...o.tags } });
  return {
    tracker,
    logger,
    close: async (stats, status) => {
      await logger.finish({ status, stats, score: stats?.best_key_metric ?? undefined, step: stats?.epochs_completed, artifacts: mmarArtifacts(o.mmarRoot) });
      return tracker.close();
    },
  };
}

export function mmarName(root: string): string {
  const parts = root.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || 'Default';
}
