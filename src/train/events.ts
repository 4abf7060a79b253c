// Events of a training job: given to in-process handlers, and streamed from a child
// job to its parent over IPC (process.send({ claraJobEvent: JobEvent })).

export type JobEventType =
  | 'train_start' | 'epoch_start' | 'iteration_end' | 'epoch_end' | 'validation_end' | 'train_end' | 'log'
  /** Every 10 s: CPU, memory, GPU under MLflow's system-metric names; iteration = sample index (src/jobs/system-metrics.ts). */
  | 'system_metrics';

export interface JobEvent {
  type: JobEventType;
  epoch?: number;
  iteration?: number;
  /** Metrics at this event: train_loss, val_mean_dice (or the key metric's name), lr, epoch_time, samples_per_s. */
  metrics?: Record<string, number>;
  message?: string;
  /** Descriptive values (train_start: backend, amp, epochs, seed, config file ...). */
  info?: Record<string, string | number | boolean>;
  /** ms since epoch. */
  time: number;
}

/** An in-process receiver of a training job's events (the MLflow run logger is one). */
export interface JobEventHandler {
  onJobEvent(e: JobEvent): void | Promise<void>;
  /** Called once when the job ends (after train_end), e.g. to flush. */
  close?(status: 'finished' | 'failed'): void | Promise<void>;
}

/** The shape of models/train_stats.json, read by the AutoML executor. */
export interface TrainStats {
  key_metric_name: string;
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
}

export function isJobEventMessage(m: unknown): m is { claraJobEvent: JobEvent } {
  return typeof m === 'object' && m !== null && 'claraJobEvent' in m;
}
