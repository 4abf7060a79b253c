// Typed interface of the native data-movement kernels (native/kernels/datamove.cc) and
// validated wrappers: nearest 3D upsampling (NDHWC, integer factors) and its adjoint
// (block sums), concat / split along the last axis. Their plain-TypeScript references
// live in test/references/datamove.ts.
import { native } from './loader.js';

/** Raw addon functions (arguments are trusted: call the wrappers below). */
export interface NativeDataMove {
  upsampleNearest3dF32(x: Float32Array, y: Float32Array, n: number, d: number, h: number, w: number, c: number, sd: number, sh: number, sw: number): void;
  upsampleNearest3dGradF32(dy: Float32Array, dx: Float32Array, n: number, d: number, h: number, w: number, c: number, sd: number, sh: number, sw: number): void;
  upsampleLinearAxisF32(src: Float32Array, dst: Float32Array, outer: number, n: number, inner: number, s: number): void;
  upsampleLinearAxisGradF32(src: Float32Array, dst: Float32Array, outer: number, n: number, inner: number, s: number): void;
  concatLast4(parts: (Float32Array | Int32Array)[], rows: number, out: Float32Array | Int32Array): void;
  splitLast4(x: Float32Array | Int32Array, rows: number, parts: (Float32Array | Int32Array)[]): void;
}

export type Shape5 = [number, number, number, number, number];
export type Factors3 = [number, number, number];
type Arr4 = Float32Array | Int32Array;

const dm = (): NativeDataMove => native();

function checkUpsample(xShape: readonly number[], s: readonly number[], what: string): void {
  if (xShape.length !== 5 || xShape.some((v) => !Number.isInteger(v) || v < 0))
    throw new RangeError(`${what}: expected an NDHWC shape of five non-negative integers, got [${xShape}]`);
  if (s.length !== 3 || s.some((v) => !Number.isInteger(v) || v < 1)) throw new RangeError(`${what}: factors must be three positive integers, got [${s}]`);
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The upsampled shape [n, d·sd, h·sh, w·sw, c]. */
export function upsampledShape(x: readonly number[], s: readonly number[]): Shape5 {
  return [x[0], x[1] * s[0], x[2] * s[1], x[3] * s[2], x[4]];
}

function checkLen(a: Arr4, n: number, what: string): void {
  if (!(a instanceof Float32Array) && !(a instanceof Int32Array)) throw new TypeError(`${what} must be a Float32Array or Int32Array`);
  if (a.length !== n) throw new RangeError(`${what} has ${a.length} elements, the shape needs ${n}`);
}

/** Native nearest upsampling of x [n,d,h,w,c] by s = [sd,sh,sw]. */
export function upsampleNearest3d(x: Float32Array, xShape: readonly number[], s: readonly number[]): Float32Array {
  checkUpsample(xShape, s, 'upsampleNearest3d');
  checkLen(x, size(xShape), 'upsampleNearest3d x');
  if (!(x instanceof Float32Array)) throw new TypeError('upsampleNearest3d x must be a Float32Array');
  const y = new Float32Array(size(upsampledShape(xShape, s)));
  const [n, d, h, w, c] = xShape;
  dm().upsampleNearest3dF32(x, y, n, d, h, w, c, s[0], s[1], s[2]);
  return y;
}

/** Native adjoint of upsampleNearest3d: dx [xShape] sums each sd×sh×sw block of dy. */
export function upsampleNearest3dGrad(dy: Float32Array, xShape: readonly number[], s: readonly number[]): Float32Array {
  checkUpsample(xShape, s, 'upsampleNearest3dGrad');
  checkLen(dy, size(upsampledShape(xShape, s)), 'upsampleNearest3dGrad dy');
  if (!(dy instanceof Float32Array)) throw new TypeError('upsampleNearest3dGrad dy must be a Float32Array');
  const dx = new Float32Array(size(xShape));
  const [n, d, h, w, c] = xShape;
  dm().upsampleNearest3dGradF32(dy, dx, n, d, h, w, c, s[0], s[1], s[2]);
  return dx;
}

/**
 * One axis of a separable linear upsampling (PyTorch align_corners=False) of a [outer, n, inner]
 * view by the integer factor s → [outer, n·s, inner]; with adjoint, its gradient (src is then the
 * [outer, n·s, inner] gradient and the result [outer, n, inner]).
 */
export function upsampleLinearAxis(src: Float32Array, outer: number, n: number, inner: number, s: number, adjoint = false): Float32Array {
  for (const [v, name] of [
    [outer, 'outer'],
    [n, 'n'],
    [inner, 'inner'],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`upsampleLinearAxis: ${name} must be a non-negative integer, got ${v}`);
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`upsampleLinearAxis: factor s must be a positive integer, got ${s}`);
  if (!(src instanceof Float32Array)) throw new TypeError('upsampleLinearAxis src must be a Float32Array');
  const small = outer * n * inner,
    big = small * s;
  if (src.length !== (adjoint ? big : small))
    throw new RangeError(`upsampleLinearAxis src has ${src.length} elements, the shape needs ${adjoint ? big : small}`);
  const dst = new Float32Array(adjoint ? small : big);
  if (adjoint) dm().upsampleLinearAxisGradF32(src, dst, outer, n, inner, s);
  else dm().upsampleLinearAxisF32(src, dst, outer, n, inner, s);
  return dst;
}

function checkParts(parts: Arr4[], rows: number, what: string): number[] {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`${what}: rows must be a non-negative integer, got ${rows}`);
  if (parts.length === 0) throw new RangeError(`${what}: needs at least one part`);
  const ctor = parts[0].constructor;
  return parts.map((p, i) => {
    if (!(p instanceof Float32Array) && !(p instanceof Int32Array)) throw new TypeError(`${what}: part ${i} must be a Float32Array or Int32Array`);
    if (p.constructor !== ctor) throw new TypeError(`${what}: part ${i} is a ${p.constructor.name}, part 0 a ${ctor.name}`);
    if (rows === 0 ? p.length !== 0 : p.length % rows !== 0)
      throw new RangeError(`${what}: part ${i} has ${p.length} elements, not a multiple of ${rows} rows`);
    return rows === 0 ? 0 : p.length / rows;
  });
}

/** out[r, :] = the rows r of every part side by side (concat along the last axis of [rows, w_p] views). */
export function concatLast(parts: Arr4[], rows: number): Arr4 {
  const widths = checkParts(parts, rows, 'concatLast');
  const total = widths.reduce((a, b) => a + b, 0);
  const out = parts[0] instanceof Float32Array ? new Float32Array(rows * total) : new Int32Array(rows * total);
  dm().concatLast4(parts, rows, out);
  return out;
}

/** The inverse of concatLast: x [rows, Σwidths] split into [rows, widths[p]] parts. */
export function splitLast(x: Arr4, rows: number, widths: readonly number[]): Arr4[] {
  if (widths.some((v) => !Number.isInteger(v) || v < 0)) throw new RangeError(`splitLast: widths must be non-negative integers, got [${widths}]`);
  const total = widths.reduce((a, b) => a + b, 0);
  checkLen(x, rows * total, 'splitLast x');
  const parts = widths.map((wd) => (x instanceof Float32Array ? new Float32Array(rows * wd) : new Int32Array(rows * wd)));
  dm().splitLast4(x, rows, parts);
  return parts;
}
