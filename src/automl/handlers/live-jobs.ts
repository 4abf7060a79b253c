// The running jobs of a search as the StatsHandler shows them: epoch of total, last train
// loss and validation metric, ETA from the mean epoch time so far; a compact table for a
// terminal that is redrawn in place, one plain line per epoch otherwise.
import type { Context, JobEvent } from '../types.js';

interface Live {
  job: string;
  worker: number;
  started: number;
  epoch: number;
  epochs?: number;
  loss?: number;
  val?: number;
}

const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : Number(v.toPrecision(4)).toString());
const secs = (s: number | undefined) => (s === undefined ? '-' : s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

export class LiveJobs {
  private readonly running = new Map<string, Live>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.running.size;
  }

  start(ctx: Context): void {
    if (ctx.JOB_NAME) this.running.set(ctx.JOB_NAME, { job: ctx.JOB_NAME, worker: ctx.WORKER?.id ?? 0, started: this.now(), epoch: 0 });
  }

  end(job: string | undefined): void {
    if (job) this.running.delete(job);
  }

  /** Takes an event; returns the job's entry when an epoch ended (a line or a redraw is due). */
  progress(ctx: Context, e: JobEvent): Live | undefined {
    const r = ctx.JOB_NAME ? this.running.get(ctx.JOB_NAME) : undefined;
    if (!r) return undefined;
    if (e.type === 'train_start' && typeof e.info?.epochs === 'number') r.epochs = e.info.epochs;
    if (e.type === 'validation_end' && e.metrics) {
      const k = Object.keys(e.metrics).find((m) => m.startsWith('val_'));
      if (k) r.val = e.metrics[k];
    }
    if (e.type !== 'epoch_end' || e.epoch === undefined) return undefined;
    r.epoch = e.epoch;
    if (typeof e.metrics?.train_loss === 'number') r.loss = e.metrics.train_loss;
    return r;
  }

  eta(r: Live): number | undefined {
    return r.epochs && r.epoch > 0 ? ((this.now() - r.started) / 1000 / r.epoch) * (r.epochs - r.epoch) : undefined;
  }

  /** `W0_1_J0 epoch 3/8 loss 0.41 val 0.83 ETA 12 s` */
  line(r: Live): string {
    return `${r.job} epoch ${r.epoch}/${r.epochs ?? '?'} loss ${num(r.loss)} val ${num(r.val)} ETA ${secs(this.eta(r))}`;
  }

  /** The running jobs as a table (no lines when none runs). */
  table(): string[] {
    if (this.running.size === 0) return [];
    const rows = [...this.running.values()]
      .sort((a, b) => a.worker - b.worker)
      .map((r) => [r.job, String(r.worker), `${r.epoch}/${r.epochs ?? '?'}`, num(r.loss), num(r.val), secs(this.eta(r))]);
    const head = ['running', 'worker', 'epoch', 'loss', 'val', 'ETA'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i].length)));
    return [head, ...rows].map((c) =>
      c
        .map((x, i) => x.padEnd(w[i]))
        .join('  ')
        .trimEnd(),
    );
  }
}
