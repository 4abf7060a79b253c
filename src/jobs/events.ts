// The job protocol's events: what a training job gives to in-process handlers and streams
// to its parent over IPC (process.send({ claraJobEvent: JobEvent })). Written by train,
// read by automl and tracking.

export type JobEventType =
  | 'train_start'
  | 'epoch_start'
  | 'iteration_end'
  | 'epoch_end'
  | 'validation_end'
  | 'train_end'
  | 'log'
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
  /** Cross-validated AutoML job: the fold this event comes from (set by the AutoML process, not by train). */
  fold?: number;
}

/** An in-process receiver of a training job's events (the MLflow run logger is one). */
export interface JobEventHandler {
  onJobEvent(e: JobEvent): void | Promise<void>;
  /** Called once when the job ends (after train_end), e.g. to flush. */
  close?(status: 'finished' | 'failed'): void | Promise<void>;
}

export function isJobEventMessage(m: unknown): m is { claraJobEvent: JobEvent } {
  return typeof m === 'object' && m !== null && 'claraJobEvent' in m;
}
