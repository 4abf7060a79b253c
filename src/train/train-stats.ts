// models/train_stats.json: what the AutoML executor reads (TrainStats), rewritten
// atomically after every epoch so a reader never sees a half-written file.
import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import type { TrainStats } from './events.js';

export const TRAIN_STATS_FILE = 'train_stats.json';

export function emptyStats(keyMetricName: string, totalEpochs: number, backend: string, amp: string): TrainStats {
  return {
    key_metric_name: keyMetricName,
    best_key_metric: null,
    best_key_metric_epoch: null,
    epochs_completed: 0,
    total_epochs: totalEpochs,
    train_loss: [],
    val_metrics: [],
    lr: [],
    epoch_time: [],
    samples_per_s: [],
    backend,
    amp,
    status: 'running',
  };
}

/** JSON cannot hold NaN/Infinity: they are written as null. */
function finite(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export class TrainStatsWriter {
  constructor(readonly file: string, readonly stats: TrainStats) {}

  write(): void {
    const s = this.stats;
    writeJsonAtomic(this.file, {
      ...s,
      best_key_metric: finite(s.best_key_metric),
      train_loss: s.train_loss.map(finite),
      val_metrics: s.val_metrics.map((v) => ({ epoch: v.epoch, metrics: Object.fromEntries(Object.entries(v.metrics).map(([k, x]) => [k, finite(x)])) })),
    });
  }
}

export function readTrainStats(file: string): TrainStats | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TrainStats;
  } catch {
    return undefined;
  }
}
