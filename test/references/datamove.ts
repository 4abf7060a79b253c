// Plain-TypeScript references of the addon's data-movement kernels (src/native/datamove.ts).
import { upsampledShape } from '../../src/native/datamove.js';

type Arr4 = Float32Array | Int32Array;

/** Plain-TypeScript reference of upsampleNearest3d (out[o] = in[floor(o / s)] per axis). */
export function upsampleNearest3dRef(x: Float32Array, xShape: readonly number[], s: readonly number[]): Float32Array {
  const [n, d, h, w, c] = xShape,
    [, od, oh, ow] = upsampledShape(xShape, s);
  const y = new Float32Array(n * od * oh * ow * c);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < od; i++)
      for (let j = 0; j < oh; j++)
        for (let k = 0; k < ow; k++) {
          const src = (((b * d + Math.floor(i / s[0])) * h + Math.floor(j / s[1])) * w + Math.floor(k / s[2])) * c;
          for (let ch = 0; ch < c; ch++) y[o++] = x[src + ch];
        }
  return y;
}

/** Plain-TypeScript reference of the adjoint (summed in float64, then rounded). */
export function upsampleNearest3dGradRef(dy: Float32Array, xShape: readonly number[], s: readonly number[]): Float32Array {
  const [n, d, h, w, c] = xShape,
    [, od, oh, ow] = upsampledShape(xShape, s);
  const acc = new Float64Array(n * d * h * w * c);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < od; i++)
      for (let j = 0; j < oh; j++)
        for (let k = 0; k < ow; k++) {
          const dst = (((b * d + Math.floor(i / s[0])) * h + Math.floor(j / s[1])) * w + Math.floor(k / s[2])) * c;
          for (let ch = 0; ch < c; ch++) acc[dst + ch] += dy[o++];
        }
  return Float32Array.from(acc);
}

/** Plain-TypeScript reference of concatLast. */
export function concatLastRef(parts: Arr4[], rows: number): Float64Array {
  const widths = parts.map((p) => (rows ? p.length / rows : 0)),
    total = widths.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let o = r * total;
    parts.forEach((p, i) => {
      for (let q = 0; q < widths[i]; q++) out[o++] = p[r * widths[i] + q];
    });
  }
  return out;
}
