// The fixed small 3D UNet of the train_step benchmark, written with tf ops:
// F filters, three levels, two 3×3×3 convs + ReLU per level, 2×2×2 max-pool down,
// nearest up-sampling (the product's upsampleNearest3d: one native kernel while the native
// kernels are registered, plain loops otherwise), skip concat, 1×1×1 conv to 2
// classes, softmax, soft Dice. Weights are He-normal from a seeded Rng.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/util/random.js';
import { upsampleNearest3d } from '../src/engine/layers/upsampling3d.js';

export type Params = Record<string, tf.Variable>;

export function makeParams(F: number, seed: number): Params {
  const rng = new Rng(seed);
  const w = (ci: number, co: number, k = 3) => {
    const n = k * k * k * ci * co,
      std = Math.sqrt(2 / (k * k * k * ci));
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal(0, std);
    return tf.variable(tf.tensor5d(v, [k, k, k, ci, co]));
  };
  return {
    e1a: w(1, F),
    e1b: w(F, F),
    e2a: w(F, 2 * F),
    e2b: w(2 * F, 2 * F),
    ba: w(2 * F, 4 * F),
    bb: w(4 * F, 4 * F),
    d2a: w(6 * F, 2 * F),
    d2b: w(2 * F, 2 * F),
    d1a: w(3 * F, F),
    d1b: w(F, F),
    out: w(F, 2, 1),
  };
}

const conv = (x: tf.Tensor5D, w: tf.Tensor) => tf.relu(tf.conv3d(x, w as tf.Tensor5D, 1, 'same'));

/** Nearest ×2 up-sampling of [n,d,h,w,c] along d, h and w. */
export function upsample2(x: tf.Tensor5D): tf.Tensor5D {
  return upsampleNearest3d(x, 2);
}

/** The same with rank-3 tiles (what this benchmark used before the native upsampling kernel). */
export function upsample2Tile(x: tf.Tensor5D): tf.Tensor5D {
  const [n, d, h, w, c] = x.shape;
  let y = tf.tile(tf.reshape(x, [n * d, 1, h * w * c]), [1, 2, 1]);
  y = tf.tile(tf.reshape(y, [n * 2 * d * h, 1, w * c]), [1, 2, 1]);
  y = tf.tile(tf.reshape(y, [n * 2 * d * 2 * h * w, 1, c]), [1, 2, 1]);
  return tf.reshape(y, [n, 2 * d, 2 * h, 2 * w, c]);
}

export type Upsample = (x: tf.Tensor5D) => tf.Tensor5D;

export function forward(P: Params, x: tf.Tensor5D, up: Upsample = upsample2): tf.Tensor5D {
  const e1 = conv(conv(x, P.e1a), P.e1b);
  const e2 = conv(conv(tf.maxPool3d(e1, 2, 2, 'valid'), P.e2a), P.e2b);
  const b = conv(conv(tf.maxPool3d(e2, 2, 2, 'valid'), P.ba), P.bb);
  const d2 = conv(conv(tf.concat([up(b), e2], -1), P.d2a), P.d2b);
  const d1 = conv(conv(tf.concat([up(d2), e1], -1), P.d1a), P.d1b);
  return tf.softmax(tf.conv3d(d1, P.out as tf.Tensor5D, 1, 'same'));
}

export function diceLoss(p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const inter = tf.sum(tf.mul(p, y));
  return tf.sub(1, tf.div(tf.mul(2, inter), tf.add(tf.sum(p), tf.sum(y)))) as tf.Scalar;
}

export function makeBatch(D: number, seed: number): { x: tf.Tensor5D; y: tf.Tensor5D } {
  const rng = new Rng(seed);
  const n = 2 * D * D * D;
  const xv = new Float32Array(n),
    yv = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    xv[i] = rng.normal(0, 1);
    const cls = rng.random() < 0.5 ? 0 : 1;
    yv[2 * i + cls] = 1;
  }
  return { x: tf.tensor5d(xv, [2, D, D, D, 1]), y: tf.tensor5d(yv, [2, D, D, D, 2]) };
}

/** One Adam step; returns the loss. */
export function trainStep(P: Params, opt: tf.Optimizer, x: tf.Tensor5D, y: tf.Tensor5D, up: Upsample = upsample2): number {
  const l = opt.minimize(() => diceLoss(forward(P, x, up), y), true, Object.values(P))!;
  const v = l.dataSync()[0];
  l.dispose();
  return v;
}
