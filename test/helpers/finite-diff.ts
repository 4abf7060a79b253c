// Finite-difference gradient check helpers for tiny tensors.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/util/random.js';

export function randTensor(shape: number[], rng: Rng, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

/**
 * Checks tf.grads of `f` (reduced against a fixed random projection) against central differences
 * at up to `samples` coordinates of each input. Returns the largest relative error seen.
 */
export function maxGradError(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], rng: Rng, eps = 1e-2, samples = 12): number {
  const out = f(...inputs);
  const proj = randTensor(out.shape, rng);
  const loss = (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), proj)) as tf.Scalar;
  const analytic = tf.grads(loss)(inputs);
  let worst = 0;
  for (let k = 0; k < inputs.length; k++) {
    const base = inputs[k].dataSync().slice() as Float32Array;
    const g = analytic[k].dataSync();
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
    for (let s = 0; s < Math.min(samples, base.length); s++) {
      const i = rng.int(0, base.length);
      const plus = base.slice();
      plus[i] += eps;
      const minus = base.slice();
      minus[i] -= eps;
      const at = (v: Float32Array) => {
        const xs = inputs.map((t, j) => (j === k ? tf.tensor(v, t.shape) : t));
        return loss(...xs).dataSync()[0];
      };
      const numeric = (at(plus) - at(minus)) / (2 * eps);
      worst = Math.max(worst, Math.abs(numeric - g[i]) / scale);
    }
  }
  return worst;
}
