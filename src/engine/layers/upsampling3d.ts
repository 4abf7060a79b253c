// 3D upsampling for NDHWC tensors, differentiable on every backend.
// tfjs has no UpSampling3D and tile's gradient stops at rank 5, so each axis is upsampled
// with a gather (whose gradient, unsortedSegmentSum, works at any rank).
// - nearest: PyTorch/Keras semantics for integer factors (out[o] = in[floor(o / s)]).
// - linear (trilinear): PyTorch's align_corners=False semantics (MONAI's UpSample "nontrainable").
import * as tf from '@tensorflow/tfjs';

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

/** Linear interpolation along one axis to `out` samples, PyTorch align_corners=False. */
function linearAxis(y: tf.Tensor, axis: number, out: number): tf.Tensor {
  const n = y.shape[axis];
  const scale = n / out;
  const i0 = new Int32Array(out), i1 = new Int32Array(out), w = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    const src = Math.max(scale * (o + 0.5) - 0.5, 0);
    const f = Math.floor(src);
    i0[o] = f;
    i1[o] = f < n - 1 ? f + 1 : f;
    w[o] = src - f;
  }
  const wShape = y.shape.map((d, k) => (k === axis ? out : 1));
  const wt = tf.tensor(w, wShape);
  const a = tf.gather(y, tf.tensor1d(i0, 'int32'), axis);
  const b = tf.gather(y, tf.tensor1d(i1, 'int32'), axis);
  return tf.add(tf.mul(a, tf.sub(1, wt)), tf.mul(b, wt));
}

/** Trilinear upsampling by integer factors per axis (MONAI UpSample mode "nontrainable"). */
export function upsampleTrilinear3d(x: tf.Tensor5D, size: number | number[]): tf.Tensor5D {
  check5d(x, 'upsampleTrilinear3d');
  const s = size3(size, 'upsampleTrilinear3d');
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    for (let a = 0; a < 3; a++) {
      if (s[a] === 1) continue;
      y = linearAxis(y, a + 1, y.shape[a + 1] * s[a]);
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
