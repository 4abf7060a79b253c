// Typed interface of the addon's PReLU (native/kernels/prelu.cc) and validated wrappers; the
// plain-TypeScript reference is test/references/prelu.ts. Layout: x is a channels-last
// [rows, c] view; alpha has 1 value (shared) or c (one per channel, the last axis).
import { native } from './loader.js';

export interface NativePrelu {
  /** y = x > 0 ? x : alpha * x. */
  preluF32(x: Float32Array, alpha: Float32Array, y: Float32Array, c: number): void;
  /** dx = dy * (x > 0 ? 1 : alpha); dalpha = sum of dy * x where x <= 0 (per channel, or all). */
  preluGradF32(dy: Float32Array, x: Float32Array, alpha: Float32Array, dx: Float32Array, dalpha: Float32Array, c: number): void;
}

function checkPrelu(x: Float32Array, alpha: Float32Array, c: number, what: string): void {
  if (!(x instanceof Float32Array) || !(alpha instanceof Float32Array)) throw new TypeError(`${what}: x and alpha must be Float32Arrays`);
  if (!Number.isInteger(c) || c < 1) throw new RangeError(`${what}: c must be a positive integer, got ${c}`);
  if (x.length % c !== 0) throw new RangeError(`${what}: x has ${x.length} elements, not a multiple of c = ${c}`);
  if (alpha.length !== 1 && alpha.length !== c) throw new RangeError(`${what}: alpha has ${alpha.length} values, expected 1 or c = ${c}`);
}

/** PReLU of x ([rows, c], channels last) with a shared (length 1) or per-channel (length c) alpha. */
export function prelu(x: Float32Array, alpha: Float32Array, c: number): Float32Array {
  checkPrelu(x, alpha, c, 'prelu');
  const y = new Float32Array(x.length);
  native().preluF32(x, alpha, y, c);
  return y;
}

/** The gradients of prelu: dx (x's shape) and dalpha (alpha's shape). */
export function preluGrad(dy: Float32Array, x: Float32Array, alpha: Float32Array, c: number): { dx: Float32Array; dalpha: Float32Array } {
  checkPrelu(x, alpha, c, 'preluGrad');
  if (!(dy instanceof Float32Array) || dy.length !== x.length) throw new RangeError(`preluGrad: dy must be a Float32Array of ${x.length} elements`);
  const out = { dx: new Float32Array(x.length), dalpha: new Float32Array(alpha.length) };
  native().preluGradF32(dy, x, alpha, out.dx, out.dalpha, c);
  return out;
}
