// Normalisation layers with PyTorch defaults (eps 1e-5):
// batch (BatchNorm3d: affine, running stats momentum 0.1, unbiased running var),
// instance (InstanceNorm3d: MONAI's default is affine=False, no running stats),
// group (GroupNorm: affine).
import * as tf from '@tensorflow/tfjs';
import { colSum } from '../../engine/ops/fast-ops.js';
import { groupNorm3d } from '../../engine/kernels/group-norm.js';
import type { Layer, ParamStore } from './params.js';
import { type LayerSpec, numArg } from './spec.js';

/**
 * Normalises rows of x2d [R, C] with per-channel statistics pooled over `groups` channel groups
 * (groups = C: per channel), then applies the optional affine. All broadcasts are [C] vectors.
 */
function normalize2d(
  x2d: tf.Tensor2D,
  groups: number,
  eps: number,
  w: tf.Tensor | null,
  b: tf.Tensor | null,
  act: FoldedAct | undefined,
): { y: tf.Tensor2D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const [rows, c] = x2d.shape;
  const fused = groupNorm3d(tf.reshape(x2d, [1, rows, c]), groups, eps, w, b, act?.name, act?.alpha);
  if (fused) {
    // per-channel statistics, as the tensor-op path returns them
    const per = c / groups;
    const toC = (t: tf.Tensor) => (per === 1 ? tf.reshape(t, [c]) : tf.reshape(tf.tile(tf.reshape(t, [groups, 1]), [1, per]), [c])) as tf.Tensor1D;
    return { y: tf.reshape(fused.y, [rows, c]) as tf.Tensor2D, mean: toC(fused.mean), variance: toC(fused.variance) };
  }
  const per = c / groups;
  const toChannels = (s: tf.Tensor1D): tf.Tensor1D => {
    if (groups === c) return tf.div(s, rows) as tf.Tensor1D;
    const g = tf.sum(tf.reshape(s, [groups, per]), 1, true); // [G, 1]: innermost reduction
    return tf.reshape(tf.tile(tf.div(g, rows * per), [1, per]), [c]) as tf.Tensor1D;
  };
  const mean = toChannels(colSum(x2d));
  const d = tf.sub(x2d, mean);
  const variance = toChannels(colSum(tf.square(d) as tf.Tensor2D));
  let y = tf.mul(d, tf.rsqrt(tf.add(variance, eps)));
  if (w && b) y = tf.add(tf.mul(y, w), b);
  return { y: applyAct(y, act) as tf.Tensor2D, mean, variance };
}

/** Per-sample normalisation (instance / group): statistics over each sample's voxels. */
function perSample(x: tf.Tensor5D, groups: number, eps: number, w: tf.Tensor | null, b: tf.Tensor | null, act: FoldedAct | undefined): tf.Tensor5D {
  const [n, d, h, wd, c] = x.shape;
  const v = d * h * wd;
  const fused = groupNorm3d(x, groups, eps, w, b, act?.name, act?.alpha);
  if (fused) return fused.y as tf.Tensor5D;
  const one = (xi: tf.Tensor) => normalize2d(tf.reshape(xi, [v, c]) as tf.Tensor2D, groups, eps, w, b, act).y;
  const out = n === 1 ? one(x) : tf.stack(tf.unstack(x, 0).map(one));
  return tf.reshape(out, x.shape) as tf.Tensor5D;
}

/**
 * The activation that follows a norm layer, folded into it: ReLU, or PReLU with its alpha
 * parameter ([1] or [C]).
 */
export interface FoldedAct {
  name: 'relu' | 'prelu';
  alpha?: tf.Tensor;
}

/** y through the folded activation with tensor ops (as act.ts runs it), or y itself. */
function applyAct(y: tf.Tensor, act: FoldedAct | undefined): tf.Tensor {
  if (!act) return y;
  if (act.name === 'relu') return tf.relu(y);
  // one alpha as a scalar, as act.ts passes it
  return tf.prelu(y, act.alpha!.size === 1 ? tf.reshape(act.alpha!, []) : act.alpha!);
}

/**
 * The norm layer of `spec`; with `act`, the layer is norm then that activation (folded in: one
 * native pass each way on cpu-native, tensor ops otherwise).
 */
export function normLayer(store: ParamStore, name: string, spec: LayerSpec | null, channels: number, act?: FoldedAct): Layer | null {
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
        if (training) {
          const x2d = tf.reshape(x, [x.size / channels, channels]) as tf.Tensor2D;
          const { y, mean, variance } = normalize2d(x2d, channels, eps, w, b, act);
          const n = x.size / channels;
          tf.tidy(() => {
            rm.assign(tf.add(tf.mul(rm, 1 - momentum), tf.mul(mean, momentum)));
            rv.assign(tf.add(tf.mul(rv, 1 - momentum), tf.mul(variance, (momentum * n) / Math.max(n - 1, 1))));
            nb.assign(tf.add(nb, 1));
          });
          return tf.reshape(y, x.shape) as tf.Tensor5D;
        }
        let y = tf.mul(tf.sub(x, rm), tf.rsqrt(tf.add(rv, eps)));
        if (w && b) y = tf.add(tf.mul(y, w), b);
        return applyAct(y, act) as tf.Tensor5D;
      };
    }
    case 'instance': {
      const affine = spec.args.affine === true;
      const w = affine ? store.constant(`${name}.weight`, [channels], 1) : null;
      const b = affine ? store.constant(`${name}.bias`, [channels], 0) : null;
      return (x) => perSample(x, channels, eps, w, b, act);
    }
    case 'group': {
      const groups = numArg(spec.args, 'num_groups', 8, what);
      if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
        throw new Error(`${what}: num_groups (${groups}) must divide the channel count (${channels})`);
      }
      const affine = spec.args.affine !== false;
      const w = affine ? store.constant(`${name}.weight`, [channels], 1) : null;
      const b = affine ? store.constant(`${name}.bias`, [channels], 0) : null;
      return (x) => perSample(x, groups, eps, w, b, act);
    }
    default:
      throw new Error(`${name}: unknown norm '${spec.name}'; expected batch, instance or group`);
  }
}
