// Loss factories from config args: MONAI names (DiceLoss, FocalLoss, DiceCELoss, DiceFocalLoss)
// and Clara 3.x names (Dice, Focal) with their argument names and defaults.
import * as tf from '@tensorflow/tfjs';
import type { BuildContext } from '../components/registry.js';
import { Args } from '../components/args.js';
import { ClaraError } from '../util/errors.js';
import type { Loss, Reduction } from './common.js';
import { diceCELoss, diceFocalLoss } from './combined.js';
import { type DiceLossOptions, diceLoss } from './dice.js';
import { focalLoss } from './focal.js';

const OTHER_ACTS: Record<string, (t: tf.Tensor) => tf.Tensor> = {
  tanh: (t) => tf.tanh(t),
  relu: (t) => tf.relu(t),
  sigmoid: (t) => tf.sigmoid(t),
  softplus: (t) => tf.softplus(t),
  exp: (t) => tf.exp(t),
  abs: (t) => tf.abs(t),
};

const DICE_COMMON = [
  'include_background',
  'to_onehot_y',
  'sigmoid',
  'softmax',
  'other_act',
  'squared_pred',
  'jaccard',
  'reduction',
  'smooth_nr',
  'smooth_dr',
  'batch',
  'weight',
];
export const DICE_ARGS = [...DICE_COMMON, 'soft_label'];
export const FOCAL_ARGS = ['include_background', 'to_onehot_y', 'gamma', 'alpha', 'weight', 'reduction', 'use_softmax'];
export const DICE_CE_ARGS = [...DICE_COMMON, 'lambda_dice', 'lambda_ce', 'label_smoothing'];
export const DICE_FOCAL_ARGS = [...DICE_COMMON, 'gamma', 'alpha', 'lambda_dice', 'lambda_focal'];
export const CLARA_DICE_ARGS = ['data_format', 'skip_background', 'squared_pred', 'jaccard', 'smooth', 'top_smooth', 'is_onehot_targets', 'activation'];
export const CLARA_FOCAL_ARGS = ['data_format', 'skip_background', 'gamma', 'alpha', 'is_onehot_targets', 'reduction'];

function otherAct(a: Args): ((t: tf.Tensor) => tf.Tensor) | null {
  const v = a.raw.other_act;
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    const key = v
      .replace(/^#/, '')
      .replace(/^(torch\.(nn\.functional\.)?|F\.)/, '')
      .toLowerCase();
    if (OTHER_ACTS[key]) return OTHER_ACTS[key];
  }
  return a.fail(
    'other_act',
    `one of ${Object.keys(OTHER_ACTS)
      .map((k) => `"torch.${k}"`)
      .join(', ')}`,
  );
}

function common(a: Args): DiceLossOptions {
  const o: DiceLossOptions = {
    includeBackground: a.bool('include_background', true),
    toOnehotY: a.bool('to_onehot_y', false),
    sigmoid: a.bool('sigmoid', false),
    softmax: a.bool('softmax', false),
    otherAct: otherAct(a),
    squaredPred: a.bool('squared_pred', false),
    jaccard: a.bool('jaccard', false),
    reduction: a.str<Reduction>('reduction', 'mean', ['mean', 'sum', 'none']),
    smoothNr: a.num('smooth_nr', 1e-5, { min: 0 }),
    smoothDr: a.num('smooth_dr', 1e-5, { min: 0 }),
    batch: a.bool('batch', false),
    weight: a.numOrList('weight'),
  };
  if (Number(o.sigmoid) + Number(o.softmax) + Number(!!o.otherAct) > 1) {
    throw new ClaraError('more than one of sigmoid, softmax and other_act is set', { file: a.ctx.file, path: `${a.ctx.path}.args` });
  }
  if (Array.isArray(o.weight) && o.weight.some((w) => w < 0)) a.fail('weight', 'non-negative');
  if (typeof o.weight === 'number' && o.weight < 0) a.fail('weight', 'non-negative');
  return o;
}

function alphaArg(a: Args): number | number[] | null {
  const v = a.numOrList('alpha');
  return v === undefined ? null : v;
}

export function diceLossFactory(raw: Record<string, unknown>, ctx: BuildContext): Loss {
  const a = new Args(raw, ctx);
  return diceLoss({ ...common(a), softLabel: a.bool('soft_label', false) });
}

export function focalLossFactory(raw: Record<string, unknown>, ctx: BuildContext): Loss {
  const a = new Args(raw, ctx);
  return focalLoss({
    includeBackground: a.bool('include_background', true),
    toOnehotY: a.bool('to_onehot_y', false),
    gamma: a.num('gamma', 2, { min: 0 }),
    alpha: alphaArg(a),
    weight: a.numOrList('weight'),
    reduction: a.str<Reduction>('reduction', 'mean', ['mean', 'sum', 'none']),
    useSoftmax: a.bool('use_softmax', false),
  });
}

export function diceCELossFactory(raw: Record<string, unknown>, ctx: BuildContext): Loss {
  const a = new Args(raw, ctx);
  const o = common(a);
  if (o.reduction === 'none') a.fail('reduction', 'mean or sum');
  if (typeof o.weight === 'number') a.fail('weight', 'a list with one weight per class');
  return diceCELoss({
    ...o,
    lambdaDice: a.num('lambda_dice', 1, { min: 0 }),
    lambdaCe: a.num('lambda_ce', 1, { min: 0 }),
    labelSmoothing: a.num('label_smoothing', 0, { min: 0, max: 1 }),
  });
}

export function diceFocalLossFactory(raw: Record<string, unknown>, ctx: BuildContext): Loss {
  const a = new Args(raw, ctx);
  const alpha = alphaArg(a);
  if (Array.isArray(alpha)) return a.fail('alpha', 'a number (DiceFocalLoss takes a scalar alpha)');
  return diceFocalLoss({
    ...common(a),
    gamma: a.num('gamma', 2, { min: 0 }),
    alpha,
    lambdaDice: a.num('lambda_dice', 1, { min: 0 }),
    lambdaFocal: a.num('lambda_focal', 1, { min: 0 }),
  });
}

/**
 * Clara 3.x Dice (ai4med): targets are class indices unless is_onehot_targets, skip_background
 * drops channel 0, smooth is added to the denominator and top_smooth to the numerator. Clara 3.x
 * networks ended in their final activation; clara-train models return logits, so `activation`
 * (softmax by default, or sigmoid / none) is applied here.
 */
export function claraDiceFactory(raw: Record<string, unknown>, ctx: BuildContext): Loss {
  const a = new Args(raw, ctx);
  if (a.has('data_format')) a.str('data_format', 'channels_first', ['channels_first', 'channels_last']);
  const act = a.str('activation', 'softmax', ['softmax', 'sigmoid', 'none']);
  return diceLoss({
    includeBackground: !a.bool('skip_background', false),
    toOnehotY: !a.bool('is_onehot_targets', false),
    softmax: act === 'softmax',
    sigmoid: act === 'sigmoid',
    squaredPred: a.bool('squared_pred', false),
    jaccard: a.bool('jaccard', false),
    smoothDr: a.num('smooth', 1e-5, { min: 0 }),
    smoothNr: a.num('top_smooth', 0, { min: 0 }),
  });
}

/** Clara 3.x Focal: multi-class (softmax) focal loss on class-index targets unless is_onehot_targets. */
export function claraFocalFactory(raw: Record<string, unknown>, ctx: BuildContext): Loss {
  const a = new Args(raw, ctx);
  if (a.has('data_format')) a.str('data_format', 'channels_first', ['channels_first', 'channels_last']);
  return focalLoss({
    includeBackground: !a.bool('skip_background', false),
    toOnehotY: !a.bool('is_onehot_targets', false),
    gamma: a.num('gamma', 2, { min: 0 }),
    alpha: alphaArg(a),
    reduction: a.str<Reduction>('reduction', 'mean', ['mean', 'sum', 'none']),
    useSoftmax: true,
  });
}
