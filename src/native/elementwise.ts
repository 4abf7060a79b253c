// Typed interface of the addon's element-wise kernels (native/kernels/elementwise.cc) and their
// validated wrappers: broadcasting add/sub/mul/div, ReLU and its gradient, step, softmax over the
// last axis, Tile's gradient and the 4-byte strided copy (the plain-TypeScript references the
// tests compare them with live in test/references/elementwise.ts).
import { native } from './loader.js';

/** Raw addon functions (arguments are trusted: call the wrappers below). */
export interface NativeElementwise {
  /** out = a op b with broadcasting (op 0 add, 1 sub, 2 mul, 3 div); strides 0 on broadcast dims. */
  binaryF32(op: number, shape: Float64Array, a: Float32Array, aStrides: Float64Array, b: Float32Array, bStrides: Float64Array, out: Float32Array): void;
  reluF32(x: Float32Array, y: Float32Array): void;
  /** dst[dstOffset + idx·dstStrides] = src[srcOffset + idx·srcStrides] over `shape` (rank <= 8), 4-byte elements. */
  stridedCopy4(
    shape: Float64Array,
    src: Float32Array | Int32Array,
    srcOffset: number,
    srcStrides: Float64Array,
    dst: Float32Array | Int32Array,
    dstOffset: number,
    dstStrides: Float64Array,
  ): void;
  stepF32(x: Float32Array, y: Float32Array, alpha: number): void;
  softmaxF32(x: Float32Array, y: Float32Array, cols: number): void;
  /** dx = dy * step(x) (ReLU's gradient, one pass). */
  reluGradF32(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** dx[xShape] = sum of dy[xShape * reps] over every repetition (Tile's gradient), rank <= 8. */
  tileGradF32(xShape: Float64Array, reps: Float64Array, dy: Float32Array, dx: Float32Array): void;
}

const k = (): NativeElementwise => native();

function checkLen(a: Float32Array, n: number, what: string): void {
  if (!(a instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array`);
  if (a.length !== n) throw new RangeError(`${what} has ${a.length} elements, the shape needs ${n}`);
}

export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type BinaryOpName = keyof typeof BINARY_OPS;

/** numpy broadcasting of two shapes; throws when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1,
      y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new RangeError(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element strides of `shape` seen through the broadcast `out` shape (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): Float64Array {
  const st = new Float64Array(out.length);
  let acc = 1;
  for (let i = out.length - 1; i >= 0; i--) {
    const j = i - (out.length - shape.length);
    if (j < 0) continue;
    st[i] = shape[j] === 1 ? 0 : acc;
    acc *= shape[j];
  }
  return st;
}

/**
 * Merges adjacent dimensions that both inputs walk contiguously (or both
 * broadcast), and drops size-1 dimensions: same-shape operands become one flat
 * loop in the native kernel.
 */
export function collapseBroadcast(shape: readonly number[], as: Float64Array, bs: Float64Array): { shape: Float64Array; as: Float64Array; bs: Float64Array } {
  const sh: number[] = [],
    sa: number[] = [],
    sb: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const j = sh.length - 1;
    if (j >= 0 && sa[j] === as[i] * shape[i] && sb[j] === bs[i] * shape[i]) {
      sh[j] *= shape[i];
      sa[j] = as[i];
      sb[j] = bs[i];
    } else {
      sh.push(shape[i]);
      sa.push(as[i]);
      sb.push(bs[i]);
    }
  }
  return { shape: Float64Array.from(sh), as: Float64Array.from(sa), bs: Float64Array.from(sb) };
}

/** Native broadcasting add/sub/mul/div of float32 arrays (rank <= 8). */
export function binary(op: BinaryOpName, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]): { values: Float32Array; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  if (shape.length > 8) throw new RangeError(`binary ${op}: rank ${shape.length} > 8`);
  checkLen(
    a,
    aShape.reduce((p, q) => p * q, 1),
    `${op} a`,
  );
  checkLen(
    b,
    bShape.reduce((p, q) => p * q, 1),
    `${op} b`,
  );
  const out = new Float32Array(shape.reduce((p, q) => p * q, 1));
  const c = collapseBroadcast(shape, broadcastStrides(aShape, shape), broadcastStrides(bShape, shape));
  k().binaryF32(BINARY_OPS[op], c.shape, a, c.as, b, c.bs, out);
  return { values: out, shape };
}

export function relu(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  k().reluF32(x, y);
  return y;
}
export function step(x: Float32Array, alpha = 0): Float32Array {
  const y = new Float32Array(x.length);
  k().stepF32(x, y, alpha);
  return y;
}
/** ReLU's gradient: dy * step(x) in one pass. */
export function reluGrad(dy: Float32Array, x: Float32Array): Float32Array {
  if (dy.length !== x.length) throw new RangeError(`reluGrad: dy has ${dy.length} elements, x has ${x.length}`);
  const dx = new Float32Array(x.length);
  k().reluGradF32(dy, x, dx);
  return dx;
}
export function checkTile(xShape: readonly number[], reps: readonly number[], dyLen: number): void {
  if (xShape.length !== reps.length || xShape.length > 8) throw new RangeError(`tileGrad: shape [${xShape}] and reps [${reps}] must have one equal rank <= 8`);
  if ([...xShape, ...reps].some((v) => !Number.isInteger(v) || v < 0))
    throw new RangeError(`tileGrad: shape [${xShape}] and reps [${reps}] must be non-negative integers`);
  const n = xShape.reduce((a, s, i) => a * s * reps[i], 1);
  if (n !== dyLen) throw new RangeError(`tileGrad: dy has ${dyLen} elements, shape [${xShape}] x reps [${reps}] needs ${n}`);
}

/** Tile's gradient: the sum of dy over every repetition, shaped like x. */
export function tileGrad(xShape: readonly number[], reps: readonly number[], dy: Float32Array): Float32Array {
  checkTile(xShape, reps, dy.length);
  const dx = new Float32Array(xShape.reduce((a, b) => a * b, 1));
  k().tileGradF32(Float64Array.from(xShape), Float64Array.from(reps), dy, dx);
  return dx;
}

/** Softmax over the last axis of length `cols`. */
export function softmax(x: Float32Array, cols: number): Float32Array {
  if (!Number.isInteger(cols) || cols < 1 || x.length % cols !== 0) throw new RangeError(`softmax: ${x.length} elements do not split into rows of ${cols}`);
  const y = new Float32Array(x.length);
  k().softmaxF32(x, y, cols);
  return y;
}
