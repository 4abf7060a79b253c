// monai.losses.FocalLoss (sigmoid and softmax forms), channels-last.
import * as tf from '@tensorflow/tfjs';
import { type Loss, type Reduction, channels, classWeights, makeLoss, matchTarget, spatialAxes } from './common.js';

export interface FocalLossOptions {
  includeBackground?: boolean;
  toOnehotY?: boolean;
  gamma?: number;
  alpha?: number | number[] | null;
  weight?: number | number[];
  reduction?: Reduction;
  useSoftmax?: boolean;
}

function perClass(v: number[], k: number, what: string): tf.Tensor {
  if (v.length !== k) throw new Error(`FocalLoss: the length of ${what} (${v.length}) must match the number of classes (${k})`);
  return tf.tensor1d(v);
}

/** Element-wise focal loss [N, ..., C] on logits `x` and float targets `t`. */
export function focalTerms(x: tf.Tensor, t: tf.Tensor, gamma: number, alpha: number | number[] | null | undefined, softmax: boolean): tf.Tensor {
  const k = channels(t);
  if (softmax) {
    const ls = tf.logSoftmax(x, -1);
    let loss = tf.mul(tf.neg(tf.pow(tf.sub(1, tf.exp(ls)), gamma)), tf.mul(ls, t));
    if (alpha !== undefined && alpha !== null) {
      const fac = typeof alpha === 'number' ? tf.tensor1d([1 - alpha, ...Array(k - 1).fill(alpha)]) : perClass(alpha, k, 'alpha');
      loss = tf.mul(loss, fac);
    }
    return loss;
  }
  // sigmoid form: x - x*t - logsigmoid(x), scaled by exp(gamma * logsigmoid(-x * (2t - 1)))
  // log(sigmoid(z)) = -softplus(-z): tf.logSigmoid's gradient fails inside tidy (disposed input)
  let loss = tf.sub(tf.sub(x, tf.mul(x, t)), tf.neg(tf.softplus(tf.neg(x))));
  const inv = tf.neg(tf.softplus(tf.mul(x, tf.sub(tf.mul(t, 2), 1))));
  loss = tf.mul(tf.exp(tf.mul(inv, gamma)), loss);
  if (alpha !== undefined && alpha !== null) {
    const fac =
      typeof alpha === 'number'
        ? tf.add(tf.mul(t, alpha), tf.mul(tf.sub(1, t), 1 - alpha))
        : tf.where(tf.equal(t, 1), tf.mul(tf.onesLike(t), perClass(alpha, k, 'alpha')), tf.onesLike(t));
    loss = tf.mul(fac, loss);
  }
  return loss;
}

export function focalLoss(o: FocalLossOptions = {}): Loss {
  const reduction = o.reduction ?? 'mean';
  const gamma = o.gamma ?? 2;
  return makeLoss('FocalLoss', (pred0, label0) => {
    const nc = channels(pred0);
    const { pred, target } = matchTarget(pred0.toFloat(), label0, nc, o, 'FocalLoss');
    let alpha = o.alpha;
    if (o.useSoftmax && o.includeBackground === false && typeof alpha === 'number') alpha = null; // MONAI ignores it (with a warning)
    let loss = focalTerms(pred, target, gamma, alpha, !!o.useSoftmax);
    if (o.weight !== undefined && o.weight !== null) {
      const k = channels(loss);
      if (typeof o.weight === 'number') {
        if (o.weight < 0) throw new Error('FocalLoss: weight values must be >= 0');
        loss = tf.mul(loss, o.weight);
      } else {
        if (k === 1) throw new Error('FocalLoss: per-class weight is not supported for single-channel outputs');
        loss = tf.mul(loss, classWeights(o.weight, k, 'FocalLoss')!);
      }
    }
    if (reduction === 'sum') return tf.sum(tf.mean(loss, spatialAxes(loss)));
    if (reduction === 'mean') return tf.mean(loss);
    return loss;
  });
}
