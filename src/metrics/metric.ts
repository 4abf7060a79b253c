// The metric interface the evaluator uses: feed batches, read the aggregate and per-case values.
import type * as tf from '@tensorflow/tfjs';

export interface Metric {
  /** Name it is logged under (the config's log_label; `val_mean_dice` for MeanDice by default). */
  readonly name: string;
  reset(): void;
  /** Adds a batch: pred [N, D, H, W, C] (logits, probabilities or one-hot) or [.., 1] labels; label [.., 1] or one-hot. Returns this batch's per-case values. */
  update(pred: tf.Tensor, label: tf.Tensor): number[][];
  /** The aggregate over everything since reset() (NaN when nothing counted). */
  compute(): number;
  /** Per-case values since reset(): one row per case, one column per class counted (NaN = ignored). */
  perCase(): number[][];
}

/** The name a metric component is logged under: its log_label, else args.name, else the default. */
export function metricLogName(component: { log_label?: unknown; args?: Record<string, unknown> }, dflt: string): string {
  if (typeof component.log_label === 'string' && component.log_label) return component.log_label;
  if (typeof component.args?.log_label === 'string' && component.args.log_label) return component.args.log_label;
  if (typeof component.args?.name === 'string' && component.args.name) return component.args.name;
  return dflt;
}
