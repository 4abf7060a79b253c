// Reductions and broadcasts shaped for tfjs-cpu's fast paths. Its binary ops are fast only when
// no axis is broadcast in the right-aligned sense ([C] against [..., C], or a scalar); a
// reduction over a non-innermost axis transposes first. Column sums are done as matMuls, except
// where the engine's native Sum runs them in one pass (cpu-native: engine/kernels/sum.ts).
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsRegistered } from '../native-kernels.js';

const nativeSum = () => nativeKernelsRegistered() && tf.getBackend() === 'cpu';

/** Sum over rows of a [R, C] matrix → [C] (a matMul: fast forward and backward). */
export function colSum(x2d: tf.Tensor2D): tf.Tensor1D {
  const [r, c] = x2d.shape;
  if (nativeSum() && x2d.dtype === 'float32') return tf.sum(x2d, 0);
  return tf.reshape(tf.matMul(tf.ones([1, r]), x2d), [c]) as tf.Tensor1D;
}

/** Sum over the spatial axes of [N, ...spatial, C] → [N, C] (or [C] with `batch`: over N too). */
export function sumSpatial(t: tf.Tensor, batch = false): tf.Tensor {
  const n = t.shape[0],
    c = t.shape[t.rank - 1];
  const v = t.size / (n * c);
  if (nativeSum() && t.dtype === 'float32') return tf.sum(tf.reshape(t, batch ? [n * v, c] : [n, v, c]), batch ? 0 : 1);
  if (batch) return colSum(tf.reshape(t, [n * v, c]) as tf.Tensor2D);
  const r = tf.reshape(t, [n, v, c]) as tf.Tensor3D;
  return tf.reshape(tf.matMul(tf.ones([n, 1, v]), r), [n, c]);
}
