// The NaN policy of training: a non-finite training loss stops the job at once as failed
// (nothing after it can be trusted), and no checkpoint is ever written with a non-finite
// weight. A non-finite validation key metric never counts as a best. AutoML scores the
// failed job -1000000 like any other failure.
import type * as tf from '@tensorflow/tfjs';
import { ClaraError } from '../util/errors.js';

export class NonFiniteError extends ClaraError {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

export function nonFiniteLoss(loss: number, epoch: number, iteration: number): NonFiniteError {
  return new NonFiniteError(
    `epoch ${epoch}, iteration ${iteration}: the training loss is ${loss}; training stopped as failed ` +
      '(the weights diverged or the data holds NaN/Infinity: lower learning_rate, check the images and labels, or try use_amp=false)',
  );
}

/** The first weight holding NaN or ±Infinity, or null. */
export async function firstNonFiniteWeight(weights: { name: string; tensor: tf.Tensor }[]): Promise<{ name: string; index: number; value: number } | null> {
  for (const w of weights) {
    if (w.tensor.dtype !== 'float32') continue;
    const d = (await w.tensor.data()) as Float32Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return { name: w.name, index: i, value: d[i] };
  }
  return null;
}
