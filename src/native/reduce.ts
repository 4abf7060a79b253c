// Typed interface of the addon's middle-axis sum (native/kernels/reduce.cc) and its validated
// wrapper; the plain-TypeScript reference is test/references/reduce.ts.
import { native } from './loader.js';

export interface NativeReduce {
  /** out[o, i] = Σ_m x[o, m, i] over an [outer, mid, inner] view of x (trusted sizes). */
  sumMiddleF32(x: Float32Array, outer: number, mid: number, inner: number, out: Float32Array): void;
}

/** Sums an [outer, mid, inner] float32 view over its middle axis → [outer, inner]. */
export function sumMiddle(x: Float32Array, outer: number, mid: number, inner: number): Float32Array {
  for (const [v, name] of [
    [outer, 'outer'],
    [mid, 'mid'],
    [inner, 'inner'],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`sumMiddle: ${name} must be a non-negative integer, got ${v}`);
  if (!(x instanceof Float32Array)) throw new TypeError('sumMiddle: x must be a Float32Array');
  if (x.length !== outer * mid * inner)
    throw new RangeError(`sumMiddle: x has ${x.length} elements, [${outer}, ${mid}, ${inner}] needs ${outer * mid * inner}`);
  const out = new Float32Array(outer * inner);
  const k: NativeReduce = native();
  k.sumMiddleF32(x, outer, mid, inner, out);
  return out;
}

/**
 * The [outer, mid, inner] view that reduces `shape` over `axes` (sorted, distinct, in range)
 * when the reduced axes are adjacent once size-1 axes are dropped; undefined otherwise.
 */
export function middleView(shape: readonly number[], axes: readonly number[]): [number, number, number] | undefined {
  const red = new Set(axes);
  let outer = 1,
    mid = 1,
    inner = 1,
    phase = 0; // 0: before the reduced run, 1: in it, 2: after
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    if (red.has(d)) {
      if (phase === 2) return undefined;
      phase = 1;
      mid *= shape[d];
    } else if (phase === 0) outer *= shape[d];
    else {
      phase = 2;
      inner *= shape[d];
    }
  }
  return [outer, mid, inner];
}
