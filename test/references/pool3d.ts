// Plain-TypeScript references of the native 3D pooling kernels and their gradients.
import { poolSizes, type Pool3DGeometry } from '../../src/native/kernels.js';

/** Calls fn(yo, list of in-range input offsets) per output position. */
function forEachWindow(g: Pool3DGeometry, fn: (yo: number, xs: number[]) => void): void {
  for (let n = 0; n < g.n; n++)
    for (let od = 0; od < g.od; od++)
      for (let oh = 0; oh < g.oh; oh++)
        for (let ow = 0; ow < g.ow; ow++) {
          const xs: number[] = [];
          for (let a = 0; a < g.fd; a++) {
            const id = od * g.sd + a - g.pf;
            if (id < 0 || id >= g.d) continue;
            for (let b = 0; b < g.fh; b++) {
              const ih = oh * g.sh + b - g.pt;
              if (ih < 0 || ih >= g.h) continue;
              for (let c = 0; c < g.fw; c++) {
                const iw = ow * g.sw + c - g.pl;
                if (iw < 0 || iw >= g.w) continue;
                xs.push((((n * g.d + id) * g.h + ih) * g.w + iw) * g.c);
              }
            }
          }
          fn((((n * g.od + od) * g.oh + oh) * g.ow + ow) * g.c, xs);
        }
}

export function maxPool3dRef(g: Pool3DGeometry, x: Float32Array): Float32Array {
  const y = new Float32Array(poolSizes(g).y);
  forEachWindow(g, (yo, xs) => {
    for (let c = 0; c < g.c; c++) {
      let m = -Infinity;
      for (const xo of xs) if (x[xo + c] > m) m = x[xo + c];
      y[yo + c] = m;
    }
  });
  return y;
}

export function avgPool3dRef(g: Pool3DGeometry, x: Float32Array): Float32Array {
  const y = new Float32Array(poolSizes(g).y);
  forEachWindow(g, (yo, xs) => {
    for (let c = 0; c < g.c; c++) {
      let s = 0;
      for (const xo of xs) s += x[xo + c];
      y[yo + c] = xs.length ? s / xs.length : 0;
    }
  });
  return y;
}

/** Routes each window's gradient to its last maximum (as tfjs's MaxPool3DGrad does). */
export function maxPool3dGradRef(g: Pool3DGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const dx = new Float32Array(poolSizes(g).x);
  forEachWindow(g, (yo, xs) => {
    for (let c = 0; c < g.c; c++) {
      let m = -Infinity,
        at = -1;
      for (const xo of xs)
        if (x[xo + c] >= m) {
          m = x[xo + c];
          at = xo + c;
        }
      if (at >= 0) dx[at] += dy[yo + c];
    }
  });
  return dx;
}

/** Gradient of avgPool3dRef (divides by the in-range count, like the forward pass). */
export function avgPool3dGradRef(g: Pool3DGeometry, dy: Float32Array): Float32Array {
  const dx = new Float32Array(poolSizes(g).x);
  forEachWindow(g, (yo, xs) => {
    if (!xs.length) return;
    for (let c = 0; c < g.c; c++) for (const xo of xs) dx[xo + c] += dy[yo + c] / xs.length;
  });
  return dx;
}
