// Plain-TypeScript reference of the native resampling kernel (same arithmetic:
// double coordinates and accumulation, torch.grid_sample conventions).
import type { Shape3 } from '../../native/transforms.js';

export type InterpMode = 'nearest' | 'linear';
export type PaddingMode = 'zeros' | 'border' | 'reflection';
export const INTERP_CODE: Record<InterpMode, number> = { nearest: 0, linear: 1 };
export const PADDING_CODE: Record<PaddingMode, number> = { zeros: 0, border: 1, reflection: 2 };

function padCoord(x: number, d: number, p: PaddingMode): number {
  if (p === 'border') return x < 0 ? 0 : x > d - 1 ? d - 1 : x;
  if (p === 'reflection') {
    if (d === 1) return 0;
    const lo = -0.5,
      span = d;
    const t = Math.abs(x - lo);
    const flips = Math.floor(t / span);
    const extra = t - flips * span;
    x = flips % 2 === 0 ? lo + extra : lo + span - extra;
    return x < 0 ? 0 : x > d - 1 ? d - 1 : x;
  }
  return x;
}

/** Round half to even (C nearbyint in the default rounding mode). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** out[c, o] = in[c, xform·[o, 1]]; xform is 3x4 row-major (12 numbers). */
export function resampleRef(
  input: Float32Array,
  channels: number,
  inShape: Shape3,
  outShape: Shape3,
  xform: ArrayLike<number>,
  mode: InterpMode,
  padding: PaddingMode,
): Float32Array {
  const [ni, nj, nk] = inShape,
    [oi, oj, ok] = outShape;
  const inSp = ni * nj * nk,
    outSp = oi * oj * ok;
  const out = new Float32Array(channels * outSp);
  const m = xform;
  for (let c = 0; c < channels; c++) {
    const base = c * inSp;
    for (let i = 0; i < oi; i++)
      for (let j = 0; j < oj; j++) {
        const bx = m[0] * i + m[1] * j + m[3],
          by = m[4] * i + m[5] * j + m[7],
          bz = m[8] * i + m[9] * j + m[11];
        const o = c * outSp + (i * oj + j) * ok;
        for (let k = 0; k < ok; k++) {
          const x = padCoord(bx + m[2] * k, ni, padding),
            y = padCoord(by + m[6] * k, nj, padding),
            z = padCoord(bz + m[10] * k, nk, padding);
          if (mode === 'nearest') {
            const xi = roundHalfEven(x),
              yi = roundHalfEven(y),
              zi = roundHalfEven(z);
            out[o + k] = xi < 0 || yi < 0 || zi < 0 || xi >= ni || yi >= nj || zi >= nk ? 0 : input[base + (xi * nj + yi) * nk + zi];
            continue;
          }
          const fx = Math.floor(x),
            fy = Math.floor(y),
            fz = Math.floor(z);
          const tx = x - fx,
            ty = y - fy,
            tz = z - fz;
          let acc = 0;
          for (let dx = 0; dx < 2; dx++) {
            const xx = fx + dx,
              wx = dx ? tx : 1 - tx;
            if (xx < 0 || xx >= ni || wx === 0) continue;
            for (let dy = 0; dy < 2; dy++) {
              const yy = fy + dy,
                wy = dy ? ty : 1 - ty;
              if (yy < 0 || yy >= nj || wy === 0) continue;
              for (let dz = 0; dz < 2; dz++) {
                const zz = fz + dz,
                  wz = dz ? tz : 1 - tz;
                if (zz < 0 || zz >= nk || wz === 0) continue;
                acc += wx * wy * wz * input[base + (xx * nj + yy) * nk + zz];
              }
            }
          }
          out[o + k] = acc;
        }
      }
  }
  return out;
}
