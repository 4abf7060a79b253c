// Plain-TypeScript references of the native flip, rot90 and crop/pad kernels.
import type { Shape3 } from '../../native/transforms.js';

/** Flips the spatial axes whose bit is set in mask (bit 0 = i) of a [C, i, j, k] volume. */
export function flipRef(input: Float32Array, channels: number, shape: Shape3, mask: number): Float32Array {
  const [ni, nj, nk] = shape,
    sp = ni * nj * nk;
  const out = new Float32Array(input.length);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < ni; i++)
      for (let j = 0; j < nj; j++)
        for (let k = 0; k < nk; k++) {
          const si = mask & 1 ? ni - 1 - i : i,
            sj = mask & 2 ? nj - 1 - j : j,
            sk = mask & 4 ? nk - 1 - k : k;
          out[c * sp + (i * nj + j) * nk + k] = input[c * sp + (si * nj + sj) * nk + sk];
        }
  return out;
}

/** The shape numpy.rot90(k, axes=(a0, a1)) gives. */
export function rot90Shape(shape: Shape3, k: number, a0: number, a1: number): Shape3 {
  const s: Shape3 = [...shape];
  if ((((k % 4) + 4) % 4) % 2) [s[a0], s[a1]] = [s[a1], s[a0]];
  return s;
}

/** numpy.rot90(x, k, axes=(a0, a1)) on the spatial axes of each channel. */
export function rot90Ref(input: Float32Array, channels: number, shape: Shape3, k: number, a0: number, a1: number): Float32Array {
  k = ((k % 4) + 4) % 4;
  const os = rot90Shape(shape, k, a0, a1);
  const sp = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(input.length);
  const s = [0, 0, 0];
  for (let c = 0; c < channels; c++)
    for (let o0 = 0; o0 < os[0]; o0++)
      for (let o1 = 0; o1 < os[1]; o1++)
        for (let o2 = 0; o2 < os[2]; o2++) {
          const o = [o0, o1, o2];
          s[0] = o0;
          s[1] = o1;
          s[2] = o2;
          if (k === 1) {
            s[a0] = o[a1];
            s[a1] = shape[a1] - 1 - o[a0];
          } else if (k === 2) {
            s[a0] = shape[a0] - 1 - o[a0];
            s[a1] = shape[a1] - 1 - o[a1];
          } else if (k === 3) {
            s[a0] = shape[a0] - 1 - o[a1];
            s[a1] = o[a0];
          }
          out[c * sp + (o0 * os[1] + o1) * os[2] + o2] = input[c * sp + (s[0] * shape[1] + s[1]) * shape[2] + s[2]];
        }
  return out;
}

/** out[c, o] = in[c, o + start] inside the input, else fill (crop and constant pad in one). */
export function cropPadRef(input: Float32Array, channels: number, inShape: Shape3, outShape: Shape3, start: Shape3, fill: number): Float32Array {
  const [a, b, d] = inShape,
    [x, y, z] = outShape;
  const out = new Float32Array(channels * x * y * z);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < x; i++)
      for (let j = 0; j < y; j++)
        for (let k = 0; k < z; k++) {
          const si = i + start[0],
            sj = j + start[1],
            sk = k + start[2];
          out[((c * x + i) * y + j) * z + k] = si < 0 || sj < 0 || sk < 0 || si >= a || sj >= b || sk >= d ? fill : input[((c * a + si) * b + sj) * d + sk];
        }
  return out;
}
