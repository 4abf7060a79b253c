// Typed interface of the addon's group normalisation (native/kernels/norm.cc) and validated
// wrappers; the plain-TypeScript reference is test/references/norm.ts. Layout: x is an
// [S, V, C] view (samples, voxels, channels) normalised per (sample, group of C/G channels).
import { native } from './loader.js';

export interface NativeNorm {
  groupNormF32(
    s: number,
    v: number,
    c: number,
    g: number,
    eps: number,
    x: Float32Array,
    w: Float32Array | null,
    b: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    /** The activation after the norm, in the same pass: 0 none, 1 ReLU, 2 PReLU (with alpha, [1] or [C]). */
    act?: number,
    alpha?: Float32Array | null,
  ): void;
  groupNormGradF32(
    s: number,
    v: number,
    c: number,
    g: number,
    eps: number,
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    w: Float32Array | null,
    dx: Float32Array,
    dw: Float32Array | null,
    db: Float32Array | null,
    /** The forward's b, act and alpha (the activation's input is recomputed from x); dalpha for PReLU. */
    b?: Float32Array | null,
    act?: number,
    alpha?: Float32Array | null,
    dalpha?: Float32Array | null,
  ): void;
}

/** The view: S samples of V voxels with C channels in G groups. */
export interface NormShape {
  s: number;
  v: number;
  c: number;
  g: number;
}

function checkNormShape(n: NormShape, eps: number): void {
  for (const k of ['s', 'v', 'c', 'g'] as const)
    if (!Number.isInteger(n[k]) || n[k] < (k === 'v' || k === 's' ? 0 : 1))
      throw new RangeError(`groupNorm: ${k} must be a ${k === 'v' || k === 's' ? 'non-negative' : 'positive'} integer, got ${n[k]}`);
  if (n.c % n.g !== 0) throw new RangeError(`groupNorm: ${n.g} groups do not divide ${n.c} channels`);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new RangeError(`groupNorm: eps must be a finite number > 0, got ${eps}`);
}

function checkLen(a: Float32Array | null, len: number, what: string): void {
  if (a === null) return;
  if (!(a instanceof Float32Array)) throw new TypeError(`groupNorm: ${what} must be a Float32Array`);
  if (a.length !== len) throw new RangeError(`groupNorm: ${what} has ${a.length} elements, expected ${len}`);
}

const k = (): NativeNorm => native();

/** y (and the per-(sample, group) mean and biased variance); w and b together, or neither. */
export function groupNorm(
  n: NormShape,
  eps: number,
  x: Float32Array,
  w: Float32Array | null = null,
  b: Float32Array | null = null,
): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
  checkNormShape(n, eps);
  if ((w === null) !== (b === null)) throw new TypeError('groupNorm: pass both w and b, or neither');
  checkLen(x, n.s * n.v * n.c, 'x');
  checkLen(w, n.c, 'w');
  checkLen(b, n.c, 'b');
  const out = { y: new Float32Array(x.length), mean: new Float32Array(n.s * n.g), variance: new Float32Array(n.s * n.g) };
  k().groupNormF32(n.s, n.v, n.c, n.g, eps, x, w, b, out.y, out.mean, out.variance);
  return out;
}

/** dx, and dw / db when w is given. */
export function groupNormGrad(
  n: NormShape,
  eps: number,
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  w: Float32Array | null = null,
): { dx: Float32Array; dw: Float32Array | null; db: Float32Array | null } {
  checkNormShape(n, eps);
  checkLen(dy, n.s * n.v * n.c, 'dy');
  checkLen(x, n.s * n.v * n.c, 'x');
  checkLen(mean, n.s * n.g, 'mean');
  checkLen(variance, n.s * n.g, 'variance');
  checkLen(w, n.c, 'w');
  const out = { dx: new Float32Array(x.length), dw: w ? new Float32Array(n.c) : null, db: w ? new Float32Array(n.c) : null };
  k().groupNormGradF32(n.s, n.v, n.c, n.g, eps, dy, x, mean, variance, w, out.dx, out.dw, out.db);
  return out;
}
