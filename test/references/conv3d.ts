// Plain-TypeScript references of the native conv3d kernels (float64 accumulation) and of
// bf16 rounding: what test/native and test/engine compare the addon with.
import { convSizes, type Conv3DGeometry, type ConvOptions } from '../../src/native/kernels.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds to bfloat16 (round-to-nearest-even), returned as the fp32 value. */
export function roundBf16(v: number): number {
  f32[0] = v;
  const u = u32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return v; // NaN
  u32[0] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16;
  return f32[0];
}

export function roundBf16Array(a: Float32Array): Float32Array {
  const r = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) r[i] = roundBf16(a[i]);
  return r;
}

/** Calls fn(n, od, oh, ow, a, b, c, id, ih, iw) for every in-range tap. */
function forEachTap(g: Conv3DGeometry, fn: (yo: number, xo: number, wo: number) => void): void {
  for (let n = 0; n < g.n; n++)
    for (let od = 0; od < g.od; od++)
      for (let oh = 0; oh < g.oh; oh++)
        for (let ow = 0; ow < g.ow; ow++) {
          const yo = (((n * g.od + od) * g.oh + oh) * g.ow + ow) * g.cout;
          for (let a = 0; a < g.kd; a++) {
            const id = od * g.sd + a - g.pf;
            if (id < 0 || id >= g.d) continue;
            for (let b = 0; b < g.kh; b++) {
              const ih = oh * g.sh + b - g.pt;
              if (ih < 0 || ih >= g.h) continue;
              for (let c = 0; c < g.kw; c++) {
                const iw = ow * g.sw + c - g.pl;
                if (iw < 0 || iw >= g.w) continue;
                fn(yo, (((n * g.d + id) * g.h + ih) * g.w + iw) * g.cin, ((a * g.kh + b) * g.kw + c) * g.cin * g.cout);
              }
            }
          }
        }
}

const maybeRound = (a: Float32Array, bf16?: boolean) => (bf16 ? roundBf16Array(a) : a);

export function conv3dForwardRef(g: Conv3DGeometry, x: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const xs = maybeRound(x, o.bf16),
    ws = maybeRound(filter, o.bf16);
  const y = new Float64Array(convSizes(g).y);
  forEachTap(g, (yo, xo, wo) => {
    for (let ci = 0; ci < g.cin; ci++) {
      const xv = xs[xo + ci],
        wr = wo + ci * g.cout;
      for (let co = 0; co < g.cout; co++) y[yo + co] += xv * ws[wr + co];
    }
  });
  return Float32Array.from(y);
}

export function conv3dBackpropInputRef(g: Conv3DGeometry, dy: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const ds = maybeRound(dy, o.bf16),
    ws = maybeRound(filter, o.bf16);
  const dx = new Float64Array(convSizes(g).x);
  forEachTap(g, (yo, xo, wo) => {
    for (let ci = 0; ci < g.cin; ci++) {
      let s = 0;
      const wr = wo + ci * g.cout;
      for (let co = 0; co < g.cout; co++) s += ds[yo + co] * ws[wr + co];
      dx[xo + ci] += s;
    }
  });
  return Float32Array.from(dx);
}

export function conv3dBackpropFilterRef(g: Conv3DGeometry, x: Float32Array, dy: Float32Array, o: ConvOptions = {}): Float32Array {
  const xs = maybeRound(x, o.bf16),
    ds = maybeRound(dy, o.bf16);
  const df = new Float64Array(convSizes(g).filter);
  forEachTap(g, (yo, xo, wo) => {
    for (let ci = 0; ci < g.cin; ci++) {
      const xv = xs[xo + ci],
        wr = wo + ci * g.cout;
      for (let co = 0; co < g.cout; co++) df[wr + co] += xv * ds[yo + co];
    }
  });
  return Float32Array.from(df);
}
