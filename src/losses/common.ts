// Shared pieces of the segmentation losses. Tensors are channels-last:
// pred [N, D, H, W, C] (logits or probabilities), label [N, D, H, W, 1] (class indices) or
// [N, D, H, W, C] (one-hot / probabilities) — MONAI's [N, C, D, H, W] with C moved last.
import * as tf from '@tensorflow/tfjs';
import { labelOneHotKernelRun } from '../engine/kernels/label-one-hot.js';

export type Reduction = 'mean' | 'sum' | 'none';

/** A loss: pred and label as above → a scalar (or per-item values when reduction is 'none'). */
export interface Loss {
  (pred: tf.Tensor, label: tf.Tensor): tf.Tensor;
  readonly lossName: string;
}

export function makeLoss(name: string, fn: (pred: tf.Tensor, label: tf.Tensor) => tf.Tensor): Loss {
  const f = ((pred: tf.Tensor, label: tf.Tensor) => tf.tidy(() => fn(pred, label))) as Loss;
  Object.defineProperty(f, 'lossName', { value: name });
  return f;
}

export function channels(t: tf.Tensor): number {
  return t.shape[t.rank - 1];
}

/** Class indices [..., 1] → one-hot [..., C] float32. */
export function oneHot(label: tf.Tensor, numClasses: number): tf.Tensor {
  if (channels(label) !== 1) throw new Error(`to_onehot_y needs a label with 1 channel, got shape [${label.shape}]`);
  // on cpu-native one native pass (engine/kernels/label-one-hot.ts), the same values
  const fused = labelOneHotKernelRun(label, numClasses);
  if (fused) return fused;
  const idx = tf.cast(tf.round(tf.squeeze(label, [label.rank - 1])), 'int32');
  return tf.oneHot(idx, numClasses).toFloat();
}

/** Drops channel 0 (background). */
export function dropBackground(t: tf.Tensor): tf.Tensor {
  const c = channels(t);
  const begin = t.shape.map(() => 0);
  begin[t.rank - 1] = 1;
  const size = t.shape.map((d, i) => (i === t.rank - 1 ? c - 1 : d));
  return tf.slice(t, begin, size);
}

/** Spatial axes of a channels-last tensor (all but the first and the last). */
export function spatialAxes(t: tf.Tensor): number[] {
  return Array.from({ length: t.rank - 2 }, (_, i) => i + 1);
}

export function checkSameShape(pred: tf.Tensor, label: tf.Tensor, what: string): void {
  if (pred.shape.join(',') !== label.shape.join(',')) {
    throw new Error(`${what}: ground truth has shape [${label.shape}], different from the prediction's [${pred.shape}]`);
  }
}

/** The loss inputs as MONAI prepares them: the label one-hot encoded when toOnehotY (and the
 * prediction has several channels), the background channel dropped from both when
 * includeBackground is false, then their shapes checked. */
export function matchTarget(
  pred: tf.Tensor,
  label: tf.Tensor,
  nc: number,
  o: { toOnehotY?: boolean; includeBackground?: boolean },
  what: string,
): { pred: tf.Tensor; target: tf.Tensor } {
  let target = label.toFloat();
  if (o.toOnehotY && nc > 1) target = oneHot(target, nc);
  if (o.includeBackground === false && nc > 1) {
    pred = dropBackground(pred);
    target = dropBackground(target);
  }
  checkSameShape(pred, target, what);
  return { pred, target };
}

/** Per-class weights: a scalar (every class) or one per class; must be >= 0. */
export function classWeights(weight: number | number[] | undefined, numClasses: number, what: string): tf.Tensor | null {
  if (weight === undefined || weight === null) return null;
  const w = typeof weight === 'number' ? Array(numClasses).fill(weight) : weight;
  if (w.length !== numClasses) {
    throw new Error(
      `${what}: weight has ${w.length} values for ${numClasses} classes (with include_background=false the weight should not include the background class)`,
    );
  }
  if (w.some((v) => v < 0)) throw new Error(`${what}: weight values must be >= 0`);
  return tf.tensor1d(w);
}

export function reduce(t: tf.Tensor, reduction: Reduction): tf.Tensor {
  return reduction === 'mean' ? tf.mean(t) : reduction === 'sum' ? tf.sum(t) : t;
}
