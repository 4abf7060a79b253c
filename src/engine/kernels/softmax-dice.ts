// ClaraSoftmaxDice: MONAI's DiceLoss terms with softmax (squared_pred, jaccard, batch off) in one
// native pass, and ClaraSoftmaxDiceGrad, its gradient to the logits in one more (tfjs: softmax,
// slices, products, sums and about 20 gradient kernels). Inputs logits and one-hot target
// [N, V, C]; outputs the terms f [N, C - c0] (c0 = 1 drops the background), the softmax and the
// per-(sample, class) sums the gradient reuses. losses/dice.ts runs it through softmaxDiceTerms
// while it is registered on the current backend; the weights and reduction stay tensor ops.
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';
import { defineGradient, defineKernel, f32, f32Backed, runKernel, runKernelOutputs } from './kernel.js';
import { outputF32 } from '../output-pool.js';

const SOFTMAX_DICE = 'ClaraSoftmaxDice';
const SOFTMAX_DICE_GRAD = 'ClaraSoftmaxDiceGrad';

interface DiceAttrs {
  c0: number;
  smoothNr: number;
  smoothDr: number;
}

export const softmaxDiceKernel = defineKernel<'logits' | 'target', DiceAttrs>({
  name: SOFTMAX_DICE,
  mode: 'add',
  run({ logits, target }, be, { c0, smoothNr, smoothDr }, k) {
    const [n, v, c] = logits.shape;
    const f = new Float32Array(n * (c - c0)),
      prob = outputF32(n * v * c), // written in full
      stats = new Float32Array(n * c * 3);
    k.softmaxDiceF32(n, v, c, c0, smoothNr, smoothDr, f32(be, logits)!, f32(be, target)!, prob, stats, f);
    return [be.makeTensorInfo([n, c - c0], 'float32', f), be.makeTensorInfo(logits.shape, 'float32', prob), be.makeTensorInfo([n, c, 3], 'float32', stats)];
  },
});

export const softmaxDiceGradKernel = defineKernel<'dy' | 'prob' | 'target' | 'stats', DiceAttrs>({
  name: SOFTMAX_DICE_GRAD,
  mode: 'add',
  run({ dy, prob, target, stats }, be, { c0, smoothNr, smoothDr }, k) {
    const [n, v, c] = prob.shape;
    const dx = outputF32(n * v * c); // written in full
    // dy may come from a Cast (integer values under float32): read it as float32
    const dyv = f32(be, dy) ?? Float32Array.from(be.data.get(dy.dataId).values as ArrayLike<number>);
    k.softmaxDiceGradF32(n, v, c, c0, smoothNr, smoothDr, dyv, f32(be, prob)!, f32(be, target)!, f32(be, stats)!, dx);
    return be.makeTensorInfo(prob.shape, 'float32', dx);
  },
});

export const softmaxDiceGradient = defineGradient<DiceAttrs>({
  kernelName: SOFTMAX_DICE,
  inputsToSave: ['target'],
  outputsToSave: [false, true, true],
  grad: (dys, [target, prob, stats], attrs) => {
    const dy = Array.isArray(dys) ? dys[0] : dys;
    return {
      logits: () => runKernel(SOFTMAX_DICE_GRAD, { dy, prob, target, stats }, attrs),
      target: () => tf.zerosLike(target),
    };
  },
});

/**
 * MONAI's Dice terms 1 - (2·Σp·t + smoothNr) / (Σp + Σt + smoothDr) per (sample, class) of
 * p = softmax(logits) over the last axis, for the classes from c0 on: [N, C - c0]; undefined
 * where the kernel is not registered on the current backend or an input is not a Float32Array
 * on it. logits and target have the same shape [N, ..., C].
 */
export function softmaxDiceTerms(logits: Tensor, target: Tensor, c0: number, smoothNr: number, smoothDr: number): Tensor | undefined {
  if (!tf.getKernel(SOFTMAX_DICE, tf.getBackend()) || !f32Backed(logits) || !f32Backed(target)) return undefined;
  const c = logits.shape[logits.rank - 1];
  if (logits.rank < 2 || c0 >= c || !tf.util.arraysEqual(logits.shape, target.shape) || logits.size === 0) return undefined;
  const n = logits.shape[0],
    v = logits.size / (n * c);
  const [f] = runKernelOutputs(SOFTMAX_DICE, { logits: tf.reshape(logits, [n, v, c]), target: tf.reshape(target, [n, v, c]) }, { c0, smoothNr, smoothDr });
  return f;
}
