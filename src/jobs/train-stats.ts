// MMAR_CKPT_DIR/train_stats.json (models/ by default): what the AutoML executor and tracking
// read (TrainStats), rewritten atomically after every epoch so a reader never sees a
// half-written file.
import { existsSync } from 'node:fs';
import { removeStaleTemps, writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/json-file.js';

export const TRAIN_STATS_FILE = 'train_stats.json';

/** The shape of MMAR_CKPT_DIR/train_stats.json (models/ by default), read by the AutoML executor and tracking. */
export interface TrainStats {
  key_metric_name: string;
  /** The key metric is a distance (HD95): lower is better; absent = higher is better (src/jobs/objective.ts). */
  key_metric_lower_is_better?: boolean;
  best_key_metric: number | null;
  best_key_metric_epoch: number | null;
  epochs_completed: number;
  total_epochs: number;
  train_loss: number[];
  val_metrics: { epoch: number; metrics: Record<string, number> }[];
  lr: number[];
  epoch_time: number[];
  samples_per_s: number[];
  backend: string;
  /** Why that backend ran: forced by CLARA_BACKEND, measured (with the figures), or the list order. */
  backend_reason?: string;
  amp: string;
  status: 'running' | 'finished' | 'failed';
  error?: string;
  /** Additive fields written by the trainer. */
  best_key_metric_path?: string;
  last_checkpoint_path?: string;
  seed?: number;
  global_step?: number;
  total_time_s?: number;
  /** Per-case metrics of the last validation (case id → metric → value). */
  val_per_case?: Record<string, Record<string, number>>;
  /** Per-case metrics of the validation that gave best_key_metric (cross-validated AutoML pairs cases on them). */
  best_val_per_case?: Record<string, Record<string, number>>;
}

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
  constructor(
    readonly file: string,
    readonly stats: TrainStats,
  ) {
    removeStaleTemps(file); // a job killed at the stats rename left its temp file
  }

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

/** The stats at `file`, or undefined when there are none (not written yet, or unreadable). */
export function readTrainStats(file: string): TrainStats | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readJsonFile(file) as TrainStats;
  } catch {
    return undefined; // written atomically, so only a foreign file gets here: no stats
  }
}
