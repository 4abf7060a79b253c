// Fast slice and tile on flat typed arrays (row-major): the copies behind the
// Slice, SplitV and Tile kernels. tfjs's cpu versions compute every element's
// index through TensorBuffer.indexToLoc, which made the concat gradient (SplitV
// → Slice on the channel axis) the largest cost of a 3D UNet step once the
// convolutions ran natively; these copy contiguous runs instead.

import { tryNative } from '../native/loader.js';
import { collapseBroadcast, type NativeElementwise } from '../native/elementwise.js';

export type NumArray = Float32Array | Int32Array | Uint8Array;

/** The addon's strided copy for 4-byte arrays (undefined: use the TypeScript loops). */
function nativeCopy(a: NumArray, b: NumArray): NativeElementwise['stridedCopy4'] | undefined {
  if (a instanceof Uint8Array || b instanceof Uint8Array || a.constructor !== b.constructor) return undefined;
  const k: NativeElementwise | undefined = tryNative();
  return k?.stridedCopy4 ? k.stridedCopy4.bind(k) : undefined;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function copyRun(src: NumArray, from: number, dst: NumArray, to: number, n: number): void {
  if (n >= 64) {
    dst.set(src.subarray(from, from + n), to);
  } else {
    for (let j = 0; j < n; j++) dst[to + j] = src[from + j];
  }
}

/** out = x[begin : begin+size] (begin and size already resolved, in range). */
export function sliceCopy(x: NumArray, shape: readonly number[], begin: readonly number[], size: readonly number[], out: NumArray, useNative = true): void {
  const r = shape.length;
  const st = strides(shape);
  const nc = useNative && r <= 8 ? nativeCopy(x, out) : undefined;
  if (nc) {
    let off = 0;
    for (let i = 0; i < r; i++) off += begin[i] * st[i];
    const c = collapseBroadcast(size, Float64Array.from(st), Float64Array.from(strides(size)));
    nc(c.shape, x as Float32Array, off, c.as, out as Float32Array, 0, c.bs);
    return;
  }
  let k = r - 1,
    run = 1;
  while (k >= 0 && begin[k] === 0 && size[k] === shape[k]) run *= shape[k--];
  let base = 0;
  for (let i = 0; i < r; i++) base += begin[i] * st[i];
  if (k < 0) {
    copyRun(x, base, out, 0, run);
    return;
  }
  run *= size[k];
  let outer = 1;
  for (let i = 0; i < k; i++) outer *= size[i];
  if (outer === 0 || run === 0) return;
  const idx = new Array<number>(k).fill(0);
  let src = base,
    dst = 0;
  for (let o = 0; o < outer; o++) {
    copyRun(x, src, out, dst, run);
    dst += run;
    // advance the mixed-radix counter over dims 0..k-1
    for (let d = k - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) {
        src += st[d];
        break;
      }
      src -= (size[d] - 1) * st[d];
      idx[d] = 0;
    }
  }
}

/** out (shape[i]*reps[i]) = x repeated reps[i] times along every axis. */
export function tileCopy(x: NumArray, shape: readonly number[], reps: readonly number[], out: NumArray, useNative = true): void {
  const r = shape.length;
  if (r === 0) {
    out[0] = x[0];
    return;
  }
  const os = shape.map((s, i) => s * reps[i]);
  const st = strides(shape);
  const nc = useNative && r <= 8 ? nativeCopy(x, out) : undefined;
  const nrep = reps.reduce((a, b) => a * b, 1);
  if (nc && nrep > 0 && x.length > 0) {
    // one strided copy of the whole of x per repetition, into its block of out
    const ost = strides(os);
    const c = collapseBroadcast(shape, Float64Array.from(st), Float64Array.from(ost));
    const rep = new Array<number>(r).fill(0);
    for (let k = 0; k < nrep; k++) {
      let off = 0;
      for (let d = 0; d < r; d++) off += rep[d] * shape[d] * ost[d];
      nc(c.shape, x as Float32Array, 0, c.as, out as Float32Array, off, c.bs);
      for (let d = r - 1; d >= 0; d--) {
        if (++rep[d] < reps[d]) break;
        rep[d] = 0;
      }
    }
    return;
  }
  const last = shape[r - 1],
    lastReps = reps[r - 1];
  let rows = 1;
  for (let i = 0; i < r - 1; i++) rows *= os[i];
  if (rows === 0 || last * lastReps === 0) return;
  const idx = new Array<number>(r - 1).fill(0);
  let dst = 0;
  for (let o = 0; o < rows; o++) {
    let src = 0;
    for (let d = 0; d < r - 1; d++) src += (idx[d] % shape[d]) * st[d];
    for (let t = 0; t < lastReps; t++) {
      copyRun(x, src, out, dst, last);
      dst += last;
    }
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d] < os[d]) break;
      idx[d] = 0;
    }
  }
}

/** out = concatenation of xs along `axis` (shapes agree elsewhere). */
export function concatCopy(xs: NumArray[], shapes: readonly (readonly number[])[], axis: number, out: NumArray, useNative = true): void {
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= shapes[0][i];
  const inner = shapes.map((s) => s.slice(axis).reduce((a, b) => a * b, 1));
  const row = inner.reduce((a, b) => a + b, 0);
  let col = 0;
  xs.forEach((x, j) => {
    const n = inner[j];
    const nc = useNative ? nativeCopy(x, out) : undefined;
    if (nc && n > 0 && outer > 0) {
      // [outer, n] dense source into the [outer, row] output at column col
      nc(Float64Array.of(outer, n), x as Float32Array, 0, Float64Array.of(n, 1), out as Float32Array, col, Float64Array.of(row, 1));
    } else {
      for (let o = 0; o < outer; o++) copyRun(x, o * n, out, o * row + col, n);
    }
    col += n;
  });
}
