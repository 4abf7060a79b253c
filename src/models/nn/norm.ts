// Normalisation layers with PyTorch defaults (eps 1e-5):
// batch (BatchNorm3d: affine, running stats momentum 0.1, unbiased running var),
// instance (InstanceNorm3d: MONAI's default is affine=False, no running stats),
// group (GroupNorm: affine).
import * as tf from '@tensorflow/tfjs';
import type { Layer, ParamStore } from './params.js';
import { type LayerSpec, numArg } from './spec.js';

export function normLayer(store: ParamStore, name: string, spec: LayerSpec | null, channels: number): Layer | null {
  if (!spec) return null;
  const what = `${name} (norm ${spec.name})`;
  const eps = numArg(spec.args, 'eps', 1e-5, what);
  switch (spec.name) {
    case 'batch': {
      const momentum = numArg(spec.args, 'momentum', 0.1, what);
      const affine = spec.args.affine !== false;
      const w = affine ? store.constant(`${name}.weight`, [channels], 1) : null;
      const b = affine ? store.constant(`${name}.bias`, [channels], 0) : null;
      const rm = store.buffer(`${name}.running_mean`, [channels], 0);
      const rv = store.buffer(`${name}.running_var`, [channels], 1);
      const nb = store.buffer(`${name}.num_batches_tracked`, [], 0);
      return (x, training) => {
        let y: tf.Tensor5D;
        if (training) {
          const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
          y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
          const n = x.size / channels;
          tf.tidy(() => {
            rm.assign(tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum)));
            rv.assign(tf.add(tf.mul(rv, 1 - momentum), tf.mul(variance, (momentum * n) / Math.max(n - 1, 1))));
            nb.assign(tf.add(nb, 1));
          });
        } else {
          y = tf.div(tf.sub(x, rm), tf.sqrt(tf.add(rv, eps)));
        }
        return w && b ? tf.add(tf.mul(y, w), b) : y;
      };
    }
    case 'instance': {
      const affine = spec.args.affine === true;
      const w = affine ? store.constant(`${name}.weight`, [channels], 1) : null;
      const b = affine ? store.constant(`${name}.bias`, [channels], 0) : null;
      return (x) => {
        const [n, d, h, wd, c] = x.shape;
        const r = tf.reshape(x, [n, d * h * wd, c]);
        const { mean, variance } = tf.moments(r, [1], true);
        const y = tf.reshape(tf.div(tf.sub(r, mean), tf.sqrt(tf.add(variance, eps))), x.shape) as tf.Tensor5D;
        return w && b ? tf.add(tf.mul(y, w), b) : y;
      };
    }
    case 'group': {
      const groups = numArg(spec.args, 'num_groups', 8, what);
      if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
        throw new Error(`${what}: num_groups (${groups}) must divide the channel count (${channels})`);
      }
      const affine = spec.args.affine !== false;
      const w = affine ? store.constant(`${name}.weight`, [channels], 1) : null;
      const b = affine ? store.constant(`${name}.bias`, [channels], 0) : null;
      return (x) => {
        const [n, d, h, wd, c] = x.shape;
        const r = tf.reshape(x, [n, d * h * wd, groups, c / groups]);
        const { mean, variance } = tf.moments(r, [1, 3], true);
        const y = tf.reshape(tf.div(tf.sub(r, mean), tf.sqrt(tf.add(variance, eps))), x.shape) as tf.Tensor5D;
        return w && b ? tf.add(tf.mul(y, w), b) : y;
      };
    }
    default:
      throw new Error(`${name}: unknown norm '${spec.name}'; expected batch, instance or group`);
  }
}
