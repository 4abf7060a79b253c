// Events of a training job: given to in-process handlers, and streamed from a child
// job to its parent over IPC (process.send({ claraJobEvent: JobEvent })).

export type JobEventType =
  | 'train_start' | 'epoch_start' | 'iteration_end' | 'epoch_end' | 'validation_end' | 'train_end' | 'log';

export interface JobEvent {
  type: JobEventType;
  epoch?: number;
  iteration?: number;
  /** Metrics at this event: train_loss, val_mean_dice (or the key metric's name), lr, epoch_time, samples_per_s. */
  metrics?: Record<string, number>;
  message?: string;
  /** ms since epoch. */
  time: number;
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
}

export function isJobEventMessage(m: unknown): m is { claraJobEvent: JobEvent } {
  return typeof m === 'object' && m !== null && 'claraJobEvent' in m;
}
