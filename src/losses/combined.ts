// monai.losses.DiceCELoss and DiceFocalLoss, channels-last.
import * as tf from '@tensorflow/tfjs';
import { type Loss, channels, makeLoss, oneHot } from './common.js';
import { type DiceLossOptions, diceLoss } from './dice.js';
import { focalLoss } from './focal.js';

export interface DiceCELossOptions extends DiceLossOptions {
  lambdaDice?: number;
  lambdaCe?: number;
  labelSmoothing?: number;
}

function checkLambda(v: number | undefined, name: string): number {
  const x = v ?? 1;
  if (x < 0) throw new Error(`${name} should be no less than 0.0`);
  return x;
}

function checkTarget(pred: tf.Tensor, label: tf.Tensor, what: string): void {
  if (pred.rank !== label.rank)
    throw new Error(
      `${what}: prediction [${pred.shape}] and label [${label.shape}] have different ranks; a label of class indices needs shape [N, D, H, W, 1]`,
    );
  const lc = channels(label);
  if (lc !== 1 && lc !== channels(pred)) throw new Error(`${what}: label has ${lc} channels; expected 1 (class indices) or ${channels(pred)} (one-hot)`);
}

/** torch.nn.CrossEntropyLoss (mean or sum) on channels-last logits. */
function crossEntropy(x: tf.Tensor, label: tf.Tensor, weight: number[] | undefined, reduction: 'mean' | 'sum', smoothing: number): tf.Tensor {
  const c = channels(x);
  const ls = tf.logSoftmax(x, -1);
  const w = weight ? tf.tensor1d(weight) : null;
  if (channels(label) === 1 && c !== 1) {
    // class indices: weighted mean divides by the sum of the target classes' weights
    const t = oneHot(label, c);
    const wy = w ? tf.sum(tf.mul(t, w), -1) : tf.onesLike(tf.sum(t, -1));
    const nll = tf.neg(tf.sum(tf.mul(t, w ? tf.mul(ls, w) : ls), -1));
    let per = nll;
    if (smoothing > 0) {
      const smooth = tf.div(tf.neg(tf.sum(w ? tf.mul(ls, w) : ls, -1)), c);
      per = tf.add(tf.mul(nll, 1 - smoothing), tf.mul(smooth, smoothing));
    }
    return reduction === 'sum' ? tf.sum(per) : tf.div(tf.sum(per), tf.sum(wy));
  }
  // probabilities (one-hot): mean over all positions, no weight normalisation
  let t = label.toFloat();
  if (smoothing > 0) t = tf.add(tf.mul(t, 1 - smoothing), smoothing / c);
  const per = tf.neg(tf.sum(tf.mul(t, w ? tf.mul(ls, w) : ls), -1));
  return reduction === 'sum' ? tf.sum(per) : tf.mean(per);
}

/** torch.nn.BCEWithLogitsLoss(pos_weight) for one channel. */
function bceWithLogits(x: tf.Tensor, t: tf.Tensor, posWeight: number[] | undefined, reduction: 'mean' | 'sum'): tf.Tensor {
  const lw = posWeight ? tf.add(tf.mul(tf.sub(tf.tensor1d(posWeight), 1), t), 1) : null;
  // (1 - t) * x + (1 + (pw - 1) t) * softplus(-x)
  const sp = tf.softplus(tf.neg(x));
  const per = tf.add(tf.mul(tf.sub(1, t), x), lw ? tf.mul(lw, sp) : sp);
  return reduction === 'sum' ? tf.sum(per) : tf.mean(per);
}

export function diceCELoss(o: DiceCELossOptions = {}): Loss {
  const reduction = o.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new Error(`DiceCELoss: reduction must be mean or sum, got '${reduction}'`);
  const ld = checkLambda(o.lambdaDice, 'lambda_dice'),
    lc = checkLambda(o.lambdaCe, 'lambda_ce');
  const w = o.weight === undefined ? undefined : typeof o.weight === 'number' ? undefined : o.weight;
  if (typeof o.weight === 'number') throw new Error('DiceCELoss: weight must be a list with one value per class');
  const dice = diceLoss({ ...o, weight: w && o.includeBackground === false ? w.slice(1) : w });
  return makeLoss('DiceCELoss', (pred, label) => {
    checkTarget(pred, label, 'DiceCELoss');
    const d = dice(pred, label);
    const ce = channels(pred) !== 1 ? crossEntropy(pred, label, w, reduction, o.labelSmoothing ?? 0) : bceWithLogits(pred, label.toFloat(), w, reduction);
    return tf.add(tf.mul(d, ld), tf.mul(ce, lc));
  });
}

export interface DiceFocalLossOptions extends DiceLossOptions {
  gamma?: number;
  alpha?: number | null;
  lambdaDice?: number;
  lambdaFocal?: number;
}

export function diceFocalLoss(o: DiceFocalLossOptions = {}): Loss {
  const ld = checkLambda(o.lambdaDice, 'lambda_dice'),
    lf = checkLambda(o.lambdaFocal, 'lambda_focal');
  const dice = diceLoss({ ...o, toOnehotY: false });
  // MONAI's DiceFocalLoss uses the sigmoid form of the focal loss on the raw input.
  const focal = focalLoss({ includeBackground: o.includeBackground, gamma: o.gamma, weight: o.weight, alpha: o.alpha, reduction: o.reduction });
  return makeLoss('DiceFocalLoss', (pred, label0) => {
    checkTarget(pred, label0, 'DiceFocalLoss');
    const label = o.toOnehotY && channels(pred) > 1 ? oneHot(label0, channels(pred)) : label0;
    return tf.add(tf.mul(dice(pred, label), ld), tf.mul(focal(pred, label), lf));
  });
}
