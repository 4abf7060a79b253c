// Fortran order (NIfTI on disk: first axis fastest) ↔ C order (volume.ts: last axis fastest).
// 2-D and 3-D use cache-blocked loops; higher ranks walk an odometer over the reversed axes.
import type { VoxelArray } from '../volume.js';

type Indexable = { [i: number]: number; length: number };

const B = 32;

/** Rearranges `src` (Fortran order over `shape`) into `dst` (C order over `shape`). */
export function fortranToC<T extends Indexable>(src: Indexable, dst: T, shape: readonly number[]): T {
  return reverseAxes(src, dst, shape);
}

/** Rearranges `src` (C order over `shape`) into `dst` (Fortran order over `shape`). */
export function cToFortran<T extends Indexable>(src: Indexable, dst: T, shape: readonly number[]): T {
  // C order over shape == Fortran order over reversed shape.
  return reverseAxes(src, dst, [...shape].reverse());
}

// dst[C index over shape] = src[F index over shape]
function reverseAxes<T extends Indexable>(src: Indexable, dst: T, shape: readonly number[]): T {
  const dims = shape.filter((d) => d !== 1);
  const n = shape.reduce((a, b) => a * b, 1);
  if (dims.length <= 1) {
    for (let i = 0; i < n; i++) dst[i] = src[i];
    return dst;
  }
  if (dims.length === 2) {
    const [n0, n1] = dims;
    // dst[i*n1 + j] = src[i + n0*j]
    for (let ib = 0; ib < n0; ib += B) {
      const ie = Math.min(ib + B, n0);
      for (let jb = 0; jb < n1; jb += B) {
        const je = Math.min(jb + B, n1);
        for (let i = ib; i < ie; i++) {
          let o = i * n1 + jb,
            s = i + n0 * jb;
          for (let j = jb; j < je; j++, o++, s += n0) dst[o] = src[s];
        }
      }
    }
    return dst;
  }
  if (dims.length === 3) {
    const [n0, n1, n2] = dims;
    const s01 = n0 * n1;
    // dst[(i*n1 + j)*n2 + k] = src[i + n0*j + n0*n1*k]
    for (let j = 0; j < n1; j++) {
      for (let ib = 0; ib < n0; ib += B) {
        const ie = Math.min(ib + B, n0);
        for (let kb = 0; kb < n2; kb += B) {
          const ke = Math.min(kb + B, n2);
          for (let i = ib; i < ie; i++) {
            let o = (i * n1 + j) * n2 + kb,
              s = i + n0 * j + s01 * kb;
            for (let k = kb; k < ke; k++, o++, s += s01) dst[o] = src[s];
          }
        }
      }
    }
    return dst;
  }
  // General rank: iterate dst in C order; src strides are Fortran strides.
  const r = dims.length;
  const fstride = new Array<number>(r);
  fstride[0] = 1;
  for (let a = 1; a < r; a++) fstride[a] = fstride[a - 1] * dims[a - 1];
  const idx = new Array<number>(r).fill(0);
  const last = r - 1,
    nl = dims[last],
    sl = fstride[last];
  let s = 0;
  for (let o = 0; o < n; ) {
    let p = s;
    for (let k = 0; k < nl; k++, o++, p += sl) dst[o] = src[p];
    // advance the odometer over axes r-2 .. 0
    let a = last - 1;
    while (a >= 0) {
      idx[a]++;
      s += fstride[a];
      if (idx[a] < dims[a]) break;
      s -= fstride[a] * dims[a];
      idx[a] = 0;
      a--;
    }
  }
  return dst;
}

export type { VoxelArray };
