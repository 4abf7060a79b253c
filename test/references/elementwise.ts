// Plain-TypeScript references of the addon's element-wise kernels (src/native/elementwise.ts).
import { broadcastShape, broadcastStrides, checkTile, type BinaryOpName } from '../../src/native/elementwise.js';

const binFns: Record<BinaryOpName, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

export function binaryRef(op: BinaryOpName, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]): { values: Float32Array; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  const as = broadcastStrides(aShape, shape),
    bs = broadcastStrides(bShape, shape);
  const n = shape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(n);
  const f = binFns[op];
  for (let i = 0; i < n; i++) {
    let rem = i,
      ia = 0,
      ib = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      ia += c * as[d];
      ib += c * bs[d];
    }
    out[i] = f(a[ia], b[ib]);
  }
  return { values: out, shape };
}

export const reluRef = (x: Float32Array) => x.map((v) => (v < 0 ? 0 : v));

export const stepRef = (x: Float32Array, alpha = 0) => x.map((v) => (Number.isNaN(v) ? v : v > 0 ? 1 : alpha));

export const reluGradRef = (dy: Float32Array, x: Float32Array) => dy.map((d, i) => d * (Number.isNaN(x[i]) ? x[i] : x[i] > 0 ? 1 : 0));

/** Plain reference of tileGrad: every dy element adds into dx at its index modulo x's shape. */
export function tileGradRef(xShape: readonly number[], reps: readonly number[], dy: Float32Array): Float32Array {
  checkTile(xShape, reps, dy.length);
  const r = xShape.length;
  const yShape = xShape.map((s, i) => s * reps[i]);
  const dx = new Float32Array(xShape.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < dy.length; i++) {
    let o = 0;
    for (let d = 0; d < r; d++) o = o * xShape[d] + (idx[d] % xShape[d]);
    dx[o] += dy[i];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < yShape[d]) break;
      idx[d] = 0;
    }
  }
  return dx;
}

export function softmaxRef(x: Float32Array, cols: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += cols) {
    let m = -Infinity,
      s = 0;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r + j]);
    for (let j = 0; j < cols; j++) s += y[r + j] = Math.exp(x[r + j] - m);
    for (let j = 0; j < cols; j++) y[r + j] /= s;
  }
  return y;
}
