// Data-movement ops for NDHWC tensors written as plain loops with exact adjoint gradients
// (tf.customGrad). On the cpu backend, tfjs's generic 5D Slice, SplitV and the gather gradient
// (UnsortedSegmentSum) dominate a UNet / SegResNet step; these replace them. They read the data
// synchronously, so they are meant for CPU backends (they stay correct on any backend).
import * as tf from '@tensorflow/tfjs';
import { UPSAMPLE_NEAREST3D, nativeKernelsRegistered } from '../native-kernels.js';
import { upsampleLinearAxis } from '../../native/datamove.js';
import { f32Backed } from '../kernels/kernel.js';

type Shape5 = [number, number, number, number, number];
type CustomFn = Parameters<typeof tf.customGrad>[0];

function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** out[b, i, j, k, c] = x[b, i + o0, j + o1, k + o2, c] for the region `size` (begin = offset). */
function copyBox(
  src: Float32Array,
  srcShape: Shape5,
  dst: Float32Array,
  dstShape: Shape5,
  offSrc: number[],
  offDst: number[],
  box: number[],
  add: boolean,
): void {
  const [, sd, sh, sw, c] = srcShape,
    [, dd, dh, dw] = dstShape;
  const row = box[3] * c;
  for (let b = 0; b < box[0]; b++)
    for (let i = 0; i < box[1]; i++)
      for (let j = 0; j < box[2]; j++) {
        const s = ((((b + offSrc[0]) * sd + i + offSrc[1]) * sh + j + offSrc[2]) * sw + offSrc[3]) * c;
        const d = ((((b + offDst[0]) * dd + i + offDst[1]) * dh + j + offDst[2]) * dw + offDst[3]) * c;
        if (add) for (let q = 0; q < row; q++) dst[d + q] += src[s + q];
        else dst.set(src.subarray(s, s + row), d);
      }
}

/** A spatial crop x[:, b0:b0+s0, b1:b1+s1, b2:b2+s2, :] (all channels, all batch items). */
export function crop5d(x: tf.Tensor5D, begin: [number, number, number], size: [number, number, number]): tf.Tensor5D {
  // with the native kernels registered, Slice and its gradient (PadV2) are one native pass each
  if (nativeKernelsRegistered() && tf.getBackend() === 'cpu' && x.dtype === 'float32') return tf.slice(x, [0, ...begin, 0], [x.shape[0], ...size, x.shape[4]]);
  const f = tf.customGrad(((t: tf.Tensor) => {
    const xs = t.shape as Shape5;
    const os: Shape5 = [xs[0], size[0], size[1], size[2], xs[4]];
    const out = new Float32Array(os.reduce((a, b) => a * b, 1));
    copyBox(values(t), xs, out, os, [0, ...begin], [0, 0, 0, 0], [xs[0], ...size], false);
    return {
      value: tf.tensor(out, os),
      gradFunc: (dy: tf.Tensor) => {
        const g = new Float32Array(t.size);
        copyBox(values(dy), os, g, xs, [0, 0, 0, 0], [0, ...begin], [xs[0], ...size], false);
        return tf.tensor(g, xs);
      },
    };
  }) as unknown as CustomFn);
  return f(x) as tf.Tensor5D;
}

/** Concatenation along the channel (last) axis. */
export function concatChannels(a: tf.Tensor5D, b: tf.Tensor5D): tf.Tensor5D {
  const f = tf.customGrad(((ta: tf.Tensor, tb: tf.Tensor) => {
    const ca = ta.shape[4]!,
      cb = tb.shape[4]!,
      c = ca + cb,
      n = ta.size / ca;
    const av = values(ta),
      bv = values(tb);
    const out = new Float32Array(n * c);
    for (let v = 0; v < n; v++) {
      out.set(av.subarray(v * ca, v * ca + ca), v * c);
      out.set(bv.subarray(v * cb, v * cb + cb), v * c + ca);
    }
    const shape = [...ta.shape.slice(0, 4), c];
    return {
      value: tf.tensor(out, shape),
      gradFunc: (dy: tf.Tensor) => {
        const g = values(dy),
          ga = new Float32Array(n * ca),
          gb = new Float32Array(n * cb);
        for (let v = 0; v < n; v++) {
          ga.set(g.subarray(v * c, v * c + ca), v * ca);
          gb.set(g.subarray(v * c + ca, v * c + c), v * cb);
        }
        return [tf.tensor(ga, ta.shape), tf.tensor(gb, tb.shape)];
      },
    };
  }) as unknown as CustomFn);
  if (a.shape.slice(0, 4).join(',') !== b.shape.slice(0, 4).join(',')) {
    throw new Error(`concatChannels: shapes [${a.shape}] and [${b.shape}] differ outside the channel axis`);
  }
  // with the native kernels registered, Concat and its gradient (SplitV) along the channel
  // axis are one multithreaded native pass each
  if (nativeKernelsRegistered() && tf.getBackend() === 'cpu') return tf.concat([a, b], -1);
  return f(a, b) as tf.Tensor5D;
}

/** Linear upsampling of [outer, n, inner] by s (align_corners=False), or its adjoint. */
function linearPass(src: Float32Array, outer: number, n: number, inner: number, s: number, adjoint: boolean): Float32Array {
  const dst = new Float32Array(adjoint ? outer * n * inner : outer * n * s * inner);
  for (let r = 0; r < s; r++) {
    const delta = (r + 0.5) / s - 0.5,
      k = Math.abs(delta),
      w0 = 1 - k;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < n; i++) {
        const nb = Math.min(n - 1, Math.max(0, delta < 0 ? i - 1 : i + 1));
        const up = ((o * n + i) * s + r) * inner; // index in the upsampled array
        const a = (o * n + i) * inner,
          b = (o * n + nb) * inner;
        if (!adjoint) for (let q = 0; q < inner; q++) dst[up + q] = w0 * src[a + q] + k * src[b + q];
        else
          for (let q = 0; q < inner; q++) {
            const g = src[up + q];
            dst[a + q] += w0 * g;
            dst[b + q] += k * g;
          }
      }
  }
  return dst;
}

/** One axis pass of a separable upsampling: [outer, n, inner] → [outer, n·s, inner], or its adjoint. */
type UpsamplePass = (src: Float32Array, outer: number, n: number, inner: number, s: number, adjoint: boolean) => Float32Array;

/** Separable upsampling by integer factors per spatial axis (one `pass` per axis d, h, w), with the
 * adjoint passes in reverse order as its gradient. */
function separableUpsample(x: tf.Tensor5D, s: [number, number, number], pass: UpsamplePass): tf.Tensor5D {
  const f = tf.customGrad(((t: tf.Tensor) => {
    const [nb, d, h, w, c] = t.shape as Shape5;
    const shapes: number[][] = [[d, h, w]];
    const outerInner = (a: number): [number, number] => {
      const cur = shapes[a];
      return [nb * cur.slice(0, a).reduce((p, q) => p * q, 1), cur.slice(a + 1).reduce((p, q) => p * q, 1) * c];
    };
    let v = values(t);
    for (let a = 0; a < 3; a++) {
      const [outer, inner] = outerInner(a);
      if (s[a] > 1) v = pass(v, outer, shapes[a][a], inner, s[a], false);
      const next = shapes[a].slice();
      next[a] *= s[a];
      shapes.push(next);
    }
    return {
      value: tf.tensor(v, [nb, ...shapes[3], c]),
      gradFunc: (dy: tf.Tensor) => {
        let g = values(dy);
        for (let a = 2; a >= 0; a--) {
          const [outer, inner] = outerInner(a);
          if (s[a] > 1) g = pass(g, outer, shapes[a][a], inner, s[a], true);
        }
        return tf.tensor(g, t.shape);
      },
    };
  }) as unknown as CustomFn);
  return f(x) as tf.Tensor5D;
}

/** Trilinear upsampling by integer factors (PyTorch align_corners=False), plain loops. */
export function trilinearUpsample(x: tf.Tensor5D, s: [number, number, number]): tf.Tensor5D {
  // the native multithreaded axis pass while the native kernels are registered on 'cpu'
  const native = nativeKernelsRegistered() && tf.getBackend() === 'cpu';
  return separableUpsample(x, s, native ? upsampleLinearAxis : linearPass);
}

/** The plain-loop trilinear upsampling (any backend; the reference of the native pass). */
export function trilinearUpsampleLoops(x: tf.Tensor5D, s: [number, number, number]): tf.Tensor5D {
  return separableUpsample(x, s, linearPass);
}

/** Nearest-neighbour upsampling of [outer, n, inner] by s along the middle axis, or its adjoint (block sums). */
function nearestPass(src: Float32Array, outer: number, n: number, inner: number, s: number, adjoint: boolean): Float32Array {
  const dst = new Float32Array(adjoint ? outer * n * inner : outer * n * s * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < n; i++)
      for (let r = 0; r < s; r++) {
        const up = ((o * n + i) * s + r) * inner,
          a = (o * n + i) * inner;
        if (!adjoint) dst.set(src.subarray(a, a + inner), up);
        else for (let q = 0; q < inner; q++) dst[a + q] += src[up + q];
      }
  return dst;
}

/**
 * Nearest-neighbour upsampling by integer factors per spatial axis: the native one-pass
 * kernel (and its block-sum gradient) while the native kernels are registered on the
 * current backend, plain loops otherwise.
 */
export function nearestUpsample(x: tf.Tensor5D, s: [number, number, number]): tf.Tensor5D {
  if (f32Backed(x) && tf.getKernel(UPSAMPLE_NEAREST3D, tf.getBackend()))
    return tf.engine().runKernel(UPSAMPLE_NEAREST3D, { x }, { size: [...s] }) as tf.Tensor5D;
  return nearestUpsampleLoops(x, s);
}

/** The plain-loop nearest upsampling (any backend; the reference of the native kernel). */
export function nearestUpsampleLoops(x: tf.Tensor5D, s: [number, number, number]): tf.Tensor5D {
  return separableUpsample(x, s, nearestPass);
}
