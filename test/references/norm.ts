// Plain-TypeScript reference of the addon's group normalisation (src/native/norm.ts), float64:
// forward, and its gradients by the textbook formula.
import type { NormShape } from '../../src/native/norm.js';

function stats(n: NormShape, x: Float32Array): { mean: Float64Array; variance: Float64Array } {
  const per = n.c / n.g,
    cnt = n.v * per;
  const mean = new Float64Array(n.s * n.g),
    variance = new Float64Array(n.s * n.g);
  for (let s = 0; s < n.s; s++)
    for (let g = 0; g < n.g; g++) {
      let t = 0;
      for (let v = 0; v < n.v; v++) for (let c = g * per; c < (g + 1) * per; c++) t += x[(s * n.v + v) * n.c + c];
      const m = cnt ? t / cnt : 0;
      let q = 0;
      for (let v = 0; v < n.v; v++) for (let c = g * per; c < (g + 1) * per; c++) q += (x[(s * n.v + v) * n.c + c] - m) ** 2;
      mean[s * n.g + g] = m;
      variance[s * n.g + g] = cnt ? q / cnt : 0;
    }
  return { mean, variance };
}

export function groupNormRef(
  n: NormShape,
  eps: number,
  x: Float32Array,
  w: Float32Array | null,
  b: Float32Array | null,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const { mean, variance } = stats(n, x),
    per = n.c / n.g;
  const y = new Float64Array(x.length);
  for (let s = 0; s < n.s; s++)
    for (let v = 0; v < n.v; v++)
      for (let c = 0; c < n.c; c++) {
        const i = (s * n.v + v) * n.c + c,
          j = s * n.g + Math.floor(c / per);
        const xh = (x[i] - mean[j]) / Math.sqrt(variance[j] + eps);
        y[i] = w && b ? xh * w[c] + b[c] : xh;
      }
  return { y, mean, variance };
}

export function groupNormGradRef(
  n: NormShape,
  eps: number,
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array | null,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const { mean, variance } = stats(n, x),
    per = n.c / n.g,
    cnt = n.v * per;
  const dx = new Float64Array(x.length),
    dw = new Float64Array(n.c),
    db = new Float64Array(n.c);
  for (let s = 0; s < n.s; s++)
    for (let g = 0; g < n.g; g++) {
      const j = s * n.g + g,
        r = 1 / Math.sqrt(variance[j] + eps);
      let a = 0,
        bsum = 0;
      for (let v = 0; v < n.v; v++)
        for (let c = g * per; c < (g + 1) * per; c++) {
          const i = (s * n.v + v) * n.c + c,
            xh = (x[i] - mean[j]) * r,
            d = dy[i] * (w ? w[c] : 1);
          a += d;
          bsum += d * xh;
          dw[c] += dy[i] * xh;
          db[c] += dy[i];
        }
      for (let v = 0; v < n.v; v++)
        for (let c = g * per; c < (g + 1) * per; c++) {
          const i = (s * n.v + v) * n.c + c,
            xh = (x[i] - mean[j]) * r,
            d = dy[i] * (w ? w[c] : 1);
          dx[i] = r * (d - a / cnt - (xh * bsum) / cnt);
        }
    }
  return { dx, dw, db };
}
