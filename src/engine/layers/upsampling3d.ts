// 3D upsampling for NDHWC tensors, differentiable on every backend.
// tfjs has no UpSampling3D and tile's gradient stops at rank 5, so each axis is upsampled
// with a gather (whose gradient, unsortedSegmentSum, works at any rank).
// - nearest: PyTorch/Keras semantics for integer factors (out[o] = in[floor(o / s)]).
// - linear (trilinear): PyTorch's align_corners=False semantics (MONAI's UpSample "nontrainable").
import * as tf from '@tensorflow/tfjs';
import { nearestUpsample, trilinearUpsample } from '../ops/js-ops.js';

export type Size3 = [number, number, number];

function size3(size: number | number[], what: string): Size3 {
  const s = typeof size === 'number' ? [size, size, size] : size;
  if (s.length !== 3 || s.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${what}: size must be a positive integer or three positive integers, got ${JSON.stringify(size)}`);
  }
  return s as Size3;
}

function check5d(x: tf.Tensor, what: string): void {
  if (x.rank !== 5) throw new Error(`${what}: expected an NDHWC rank-5 tensor, got shape [${x.shape}]`);
}

/** Nearest-neighbour upsampling by integer factors per spatial axis. */
export function upsampleNearest3d(x: tf.Tensor5D, size: number | number[]): tf.Tensor5D {
  check5d(x, 'upsampleNearest3d');
  return nearestUpsample(x, size3(size, 'upsampleNearest3d'));
}

/** The same with tfjs ops only (gathers; the reference the loop version is tested against). */
export function upsampleNearest3dOps(x: tf.Tensor5D, size: number | number[]): tf.Tensor5D {
  const s = size3(size, 'upsampleNearest3d');
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    for (let a = 0; a < 3; a++) {
      if (s[a] === 1) continue;
      const n = y.shape[a + 1];
      const idx = Int32Array.from({ length: n * s[a] }, (_, o) => Math.floor(o / s[a]));
      y = tf.gather(y, tf.tensor1d(idx, 'int32'), a + 1);
    }
    return y as tf.Tensor5D;
  });
}

/**
 * Linear interpolation along one axis by an integer factor s, PyTorch align_corners=False.
 * Output s·i + r samples x at i + δ_r, δ_r = (r + 0.5)/s - 0.5: (1 - |δ|)·x[i] + |δ|·x[i ∓ 1]
 * with the neighbour index clamped at the edges (which reproduces PyTorch's clamping). Only
 * scalar weights, so tfjs-cpu's binary ops stay on their fast path.
 */
function linearAxis(y: tf.Tensor, axis: number, s: number): tf.Tensor {
  const n = y.shape[axis];
  const idx = (shift: number) =>
    tf.tensor1d(
      Int32Array.from({ length: n }, (_, i) => Math.min(n - 1, Math.max(0, i + shift))),
      'int32',
    );
  const prev = tf.gather(y, idx(-1), axis);
  const next = tf.gather(y, idx(1), axis);
  const parts: tf.Tensor[] = [];
  for (let r = 0; r < s; r++) {
    const delta = (r + 0.5) / s - 0.5;
    const k = Math.abs(delta);
    parts.push(k === 0 ? y : tf.add(tf.mul(y, 1 - k), tf.mul(delta < 0 ? prev : next, k)));
  }
  const shape = y.shape.slice();
  shape[axis] = n * s;
  return tf.reshape(tf.stack(parts, axis + 1), shape);
}

/** Trilinear upsampling by integer factors per axis (MONAI UpSample mode "nontrainable"). */
export function upsampleTrilinear3d(x: tf.Tensor5D, size: number | number[]): tf.Tensor5D {
  check5d(x, 'upsampleTrilinear3d');
  const s = size3(size, 'upsampleTrilinear3d');
  return trilinearUpsample(x, s);
}

/** The same with tfjs ops only (kept as the reference the loop version is tested against). */
export function upsampleTrilinear3dOps(x: tf.Tensor5D, size: number | number[]): tf.Tensor5D {
  const s = size3(size, 'upsampleTrilinear3d');
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    for (let a = 0; a < 3; a++) {
      if (s[a] === 1) continue;
      y = linearAxis(y, a + 1, s[a]);
    }
    return y as tf.Tensor5D;
  });
}

export interface UpSampling3DArgs {
  size?: number | number[];
  interpolation?: 'nearest' | 'trilinear';
  name?: string;
}

/** Keras-style UpSampling3D layer (channels-last), serializable in tfjs LayersModels. */
export class UpSampling3D extends tf.layers.Layer {
  static className = 'UpSampling3D';
  readonly size: Size3;
  readonly interpolation: 'nearest' | 'trilinear';

  constructor(args: UpSampling3DArgs = {}) {
    super({ name: args.name });
    this.size = size3(args.size ?? 2, 'UpSampling3D');
    this.interpolation = args.interpolation ?? 'nearest';
    if (this.interpolation !== 'nearest' && this.interpolation !== 'trilinear') {
      throw new Error(`UpSampling3D: interpolation must be 'nearest' or 'trilinear', got '${String(this.interpolation)}'`);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], ...[0, 1, 2].map((a) => (s[a + 1] == null ? null : (s[a + 1] as number) * this.size[a])), s[4]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor5D;
    return this.interpolation === 'nearest' ? upsampleNearest3d(x, this.size) : upsampleTrilinear3d(x, this.size);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, interpolation: this.interpolation };
  }
}
tf.serialization.registerClass(UpSampling3D);
