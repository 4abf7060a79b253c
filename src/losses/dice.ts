// monai.losses.DiceLoss, channels-last.
import * as tf from '@tensorflow/tfjs';
import { type Loss, type Reduction, channels, classWeights, makeLoss, matchTarget, oneHot, reduce } from './common.js';
import { sumSpatial } from '../engine/ops/fast-ops.js';
import { softmaxDiceTerms } from '../engine/kernels/softmax-dice.js';

export interface DiceLossOptions {
  includeBackground?: boolean;
  toOnehotY?: boolean;
  sigmoid?: boolean;
  softmax?: boolean;
  /** MONAI's other_act for the activations that can be named: 'tanh', 'relu', ... (function also accepted). */
  otherAct?: ((t: tf.Tensor) => tf.Tensor) | null;
  squaredPred?: boolean;
  jaccard?: boolean;
  reduction?: Reduction;
  smoothNr?: number;
  smoothDr?: number;
  batch?: boolean;
  weight?: number | number[];
  softLabel?: boolean;
}

/** The Dice loss per (item, class) — [N, C], or [C] when batch — before weighting and reduction. */
export function diceTerms(pred: tf.Tensor, target: tf.Tensor, o: DiceLossOptions): tf.Tensor {
  const sum = (t: tf.Tensor) => sumSpatial(t, !!o.batch);
  let tp: tf.Tensor, p: tf.Tensor, g: tf.Tensor;
  if (!o.squaredPred && !o.softLabel) {
    tp = sum(tf.mul(pred, target));
    p = sum(pred);
    g = sum(target);
  } else {
    const ord = o.squaredPred ? 2 : 1;
    const norm = (t: tf.Tensor) => (ord === 2 ? sum(tf.square(t)) : sum(tf.abs(t)));
    p = norm(pred);
    g = norm(target);
    tp = tf.div(tf.sub(tf.add(p, g), norm(tf.sub(pred, target))), 2);
  }
  const fp = tf.sub(p, tp),
    fn = tf.sub(g, tp);
  const num = tf.add(tf.mul(2, tp), o.smoothNr ?? 1e-5);
  const den = o.jaccard ? tf.add(tf.mul(2, tf.add(tf.add(tp, fp), fn)), o.smoothDr ?? 1e-5) : tf.add(tf.add(tf.mul(2, tp), tf.add(fp, fn)), o.smoothDr ?? 1e-5);
  return tf.sub(1, tf.div(num, den));
}

export function activate(pred: tf.Tensor, o: { sigmoid?: boolean; softmax?: boolean; otherAct?: ((t: tf.Tensor) => tf.Tensor) | null }): tf.Tensor {
  let x = pred;
  if (o.sigmoid) x = tf.sigmoid(x);
  if (o.softmax && channels(x) > 1) x = tf.softmax(x, -1);
  if (o.otherAct) x = o.otherAct(x);
  return x;
}

/** The Dice terms [N, C'] by the fused native kernel where it covers the options, else undefined. */
function fusedSoftmaxDice(pred: tf.Tensor, label: tf.Tensor, nc: number, o: DiceLossOptions): tf.Tensor | undefined {
  if (!o.softmax || o.sigmoid || o.otherAct || o.squaredPred || o.jaccard || o.softLabel || o.batch || nc < 2 || pred.rank < 3) return undefined;
  const target = o.toOnehotY ? oneHot(label.toFloat(), nc) : label;
  return softmaxDiceTerms(pred, target, o.includeBackground === false ? 1 : 0, o.smoothNr ?? 1e-5, o.smoothDr ?? 1e-5);
}

export function diceLoss(o: DiceLossOptions = {}): Loss {
  if (Number(!!o.sigmoid) + Number(!!o.softmax) + Number(!!o.otherAct) > 1) {
    throw new Error('DiceLoss: more than one of sigmoid, softmax, other_act');
  }
  const reduction = o.reduction ?? 'mean';
  return makeLoss('DiceLoss', (pred0, label0) => {
    const nc = channels(pred0);
    // on cpu-native, softmax + Dice terms (and their gradient) are one native pass each
    let f = fusedSoftmaxDice(pred0, label0, nc, o);
    if (!f) {
      const { pred, target } = matchTarget(activate(pred0, o), label0, nc, o, 'DiceLoss');
      f = diceTerms(pred, target, o);
    }
    const k = channels(f); // the classes of the terms [N, C] (or [C] with batch)
    const w = k !== 1 ? classWeights(o.weight, k, 'DiceLoss') : null;
    if (w) f = tf.mul(f, w);
    return reduce(f, reduction);
  });
}
