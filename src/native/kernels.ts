// Typed interface of the native conv3d / pool3d kernels, validated wrappers, and
// plain-TypeScript reference implementations of every op (the tests compare the
// native kernels with these and with tfjs's own cpu kernels).
// Layout: NDHWC (tfjs): x [N,D,H,W,Cin], filter [KD,KH,KW,Cin,Cout].
import type * as tf from '@tensorflow/tfjs';
import { native } from './loader.js';

/** Raw addon functions (arguments are trusted: call the wrappers below). */
export interface NativeKernels {
  conv3dForward(x: Float32Array, filter: Float32Array, y: Float32Array, geom: Int32Array, bf16: boolean): void;
  conv3dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geom: Int32Array, bf16: boolean): void;
  conv3dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, geom: Int32Array, bf16: boolean): void;
  maxPool3d(x: Float32Array, y: Float32Array, geom: Int32Array): void;
  avgPool3d(x: Float32Array, y: Float32Array, geom: Int32Array): void;
  maxPool3dGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, geom: Int32Array): void;
  avgPool3dGrad(dy: Float32Array, dx: Float32Array, geom: Int32Array): void;
  /** Measured fp32 FMA peak (GFLOP/s) with `threads` threads over about `seconds`;
   *  with bf16Dot, the peak of the AVX512-BF16 dot-product instruction (0 if not compiled). */
  fmaPeak(threads: number, seconds: number, bf16Dot?: boolean): number;
  /** One-thread instruction throughput of vfmadd231ps and vdpbf16ps (zmm) with 4-24 independent
   *  accumulator chains, and the core clock; best of `trials` rounds of about `msEach` ms each. */
  isaProbe(trials: number, msEach: number): IsaProbeResult;
  /** The conv kernels use AVX512-BF16 dot products (otherwise bf16 is emulated exactly). */
  conv3dBf16Dot: boolean;
  /** Uses (true) or bypasses (false) the bf16 dot products for bf16 convs; null (the default) uses
   *  them only where a one-time measurement finds them faster than fp32 FMA. Returns whether they are in use. */
  setBf16Dot(on: boolean | null): boolean;
  /** out = a op b with broadcasting (op 0 add, 1 sub, 2 mul, 3 div); strides 0 on broadcast dims. */
  binaryF32(op: number, shape: Float64Array, a: Float32Array, aStrides: Float64Array, b: Float32Array, bStrides: Float64Array, out: Float32Array): void;
  reluF32(x: Float32Array, y: Float32Array): void;
  /** dst[dstOffset + idx·dstStrides] = src[srcOffset + idx·srcStrides] over `shape` (rank <= 8), 4-byte elements. */
  stridedCopy4(shape: Float64Array, src: Float32Array | Int32Array, srcOffset: number, srcStrides: Float64Array, dst: Float32Array | Int32Array, dstOffset: number, dstStrides: Float64Array): void;
  stepF32(x: Float32Array, y: Float32Array, alpha: number): void;
  softmaxF32(x: Float32Array, y: Float32Array, cols: number): void;
  /** dx = dy * step(x) (ReLU's gradient, one pass). */
  reluGradF32(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** dx[xShape] = sum of dy[xShape * reps] over every repetition (Tile's gradient), rank <= 8. */
  tileGradF32(xShape: Float64Array, reps: Float64Array, dy: Float32Array, dx: Float32Array): void;
}

/** Result of NativeKernels.isaProbe: instructions per ns and per cycle, GFLOP/s (one thread). */
export interface IsaProbeResult {
  ghz: number;
  rates: { instr: string; chains: number; perNs: number; perCycle: number; gflops: number }[];
}

/** Geometry of a 3D convolution (padding = before-padding, as tfjs computes it). */
export interface Conv3DGeometry {
  n: number; d: number; h: number; w: number; cin: number;
  kd: number; kh: number; kw: number; cout: number;
  sd: number; sh: number; sw: number;
  od: number; oh: number; ow: number;
  pf: number; pt: number; pl: number;
}

/** Geometry of a 3D pooling window (channels c are pooled independently). */
export interface Pool3DGeometry {
  n: number; d: number; h: number; w: number; c: number;
  fd: number; fh: number; fw: number;
  sd: number; sh: number; sw: number;
  od: number; oh: number; ow: number;
  pf: number; pt: number; pl: number;
}

const CONV_KEYS = ['n', 'd', 'h', 'w', 'cin', 'kd', 'kh', 'kw', 'cout', 'sd', 'sh', 'sw', 'od', 'oh', 'ow', 'pf', 'pt', 'pl'] as const;
const POOL_KEYS = ['n', 'd', 'h', 'w', 'c', 'fd', 'fh', 'fw', 'sd', 'sh', 'sw', 'od', 'oh', 'ow', 'pf', 'pt', 'pl'] as const;

function checkInts(g: Record<string, number>, keys: readonly string[], what: string): Int32Array {
  const a = new Int32Array(keys.length);
  keys.forEach((k, i) => {
    const v = g[k];
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 30) throw new RangeError(`${what}: geometry field '${k}' must be a non-negative integer, got ${v}`);
    a[i] = v;
  });
  return a;
}

/** Validates a conv geometry (consistency of output size and padding) and packs it. */
export function convGeomArray(g: Conv3DGeometry): Int32Array {
  const a = checkInts(g as unknown as Record<string, number>, CONV_KEYS, 'conv3d');
  for (const k of ['kd', 'kh', 'kw', 'sd', 'sh', 'sw'] as const)
    if (g[k] < 1) throw new RangeError(`conv3d: geometry field '${k}' must be >= 1, got ${g[k]}`);
  const dims: [number, number, number, number, number, string][] = [
    [g.d, g.kd, g.sd, g.od, g.pf, 'depth'], [g.h, g.kh, g.sh, g.oh, g.pt, 'height'], [g.w, g.kw, g.sw, g.ow, g.pl, 'width'],
  ];
  for (const [inp, k, s, o, p, name] of dims) {
    if (o > 0 && p > k - 1) throw new RangeError(`conv3d: ${name} padding ${p} exceeds filter size ${k} - 1`);
    if (o > 0 && (o - 1) * s + k - p > inp + k - 1) throw new RangeError(`conv3d: ${name} output ${o} does not fit input ${inp} (filter ${k}, stride ${s}, pad ${p})`);
  }
  return a;
}

export function poolGeomArray(g: Pool3DGeometry): Int32Array {
  const a = checkInts(g as unknown as Record<string, number>, POOL_KEYS, 'pool3d');
  for (const k of ['fd', 'fh', 'fw', 'sd', 'sh', 'sw'] as const)
    if (g[k] < 1) throw new RangeError(`pool3d: geometry field '${k}' must be >= 1, got ${g[k]}`);
  return a;
}

/** tfjs's conv/pool geometry (backend_util.computeConv3DInfo / computePool3DInfo). */
export type Conv3DInfo = ReturnType<typeof tf.backend_util.computeConv3DInfo>;

/** The conv geometry of a tfjs Conv3DInfo. */
export function convGeomFromInfo(ci: Conv3DInfo): Conv3DGeometry {
  return {
    n: ci.batchSize, d: ci.inDepth, h: ci.inHeight, w: ci.inWidth, cin: ci.inChannels,
    kd: ci.filterDepth, kh: ci.filterHeight, kw: ci.filterWidth, cout: ci.outChannels,
    sd: ci.strideDepth, sh: ci.strideHeight, sw: ci.strideWidth,
    od: ci.outDepth, oh: ci.outHeight, ow: ci.outWidth,
    pf: ci.padInfo.front, pt: ci.padInfo.top, pl: ci.padInfo.left,
  };
}

/** The pool geometry of a tfjs Conv3DInfo (as computePool3DInfo returns). */
export function poolGeomFromInfo(ci: Conv3DInfo): Pool3DGeometry {
  return {
    n: ci.batchSize, d: ci.inDepth, h: ci.inHeight, w: ci.inWidth, c: ci.inChannels,
    fd: ci.filterDepth, fh: ci.filterHeight, fw: ci.filterWidth,
    sd: ci.strideDepth, sh: ci.strideHeight, sw: ci.strideWidth,
    od: ci.outDepth, oh: ci.outHeight, ow: ci.outWidth,
    pf: ci.padInfo.front, pt: ci.padInfo.top, pl: ci.padInfo.left,
  };
}

export const convSizes = (g: Conv3DGeometry) => ({
  x: g.n * g.d * g.h * g.w * g.cin,
  filter: g.kd * g.kh * g.kw * g.cin * g.cout,
  y: g.n * g.od * g.oh * g.ow * g.cout,
});
export const poolSizes = (g: Pool3DGeometry) => ({ x: g.n * g.d * g.h * g.w * g.c, y: g.n * g.od * g.oh * g.ow * g.c });

function checkLen(a: Float32Array, n: number, what: string): void {
  if (!(a instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array`);
  if (a.length !== n) throw new RangeError(`${what} has ${a.length} elements, the geometry needs ${n}`);
}

function k(): NativeKernels {
  return native() as unknown as NativeKernels;
}

export interface ConvOptions {
  /** bf16 inputs and weights (round-to-nearest-even), fp32 accumulation. */
  bf16?: boolean;
}

/** Native Conv3D forward: y [N,OD,OH,OW,Cout]. */
export function conv3dForward(g: Conv3DGeometry, x: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const geom = convGeomArray(g), s = convSizes(g);
  checkLen(x, s.x, 'conv3d x'); checkLen(filter, s.filter, 'conv3d filter');
  const y = new Float32Array(s.y);
  k().conv3dForward(x, filter, y, geom, !!o.bf16);
  return y;
}

/** Native gradient of Conv3D with respect to its input: dx [N,D,H,W,Cin]. */
export function conv3dBackpropInput(g: Conv3DGeometry, dy: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const geom = convGeomArray(g), s = convSizes(g);
  checkLen(dy, s.y, 'conv3d dy'); checkLen(filter, s.filter, 'conv3d filter');
  const dx = new Float32Array(s.x);
  k().conv3dBackpropInput(dy, filter, dx, geom, !!o.bf16);
  return dx;
}

/** Native gradient of Conv3D with respect to its filter: [KD,KH,KW,Cin,Cout]. */
export function conv3dBackpropFilter(g: Conv3DGeometry, x: Float32Array, dy: Float32Array, o: ConvOptions = {}): Float32Array {
  const geom = convGeomArray(g), s = convSizes(g);
  checkLen(x, s.x, 'conv3d x'); checkLen(dy, s.y, 'conv3d dy');
  const df = new Float32Array(s.filter);
  k().conv3dBackpropFilter(x, dy, df, geom, !!o.bf16);
  return df;
}

export function maxPool3d(g: Pool3DGeometry, x: Float32Array): Float32Array {
  const geom = poolGeomArray(g), s = poolSizes(g);
  checkLen(x, s.x, 'maxPool3d x');
  const y = new Float32Array(s.y);
  k().maxPool3d(x, y, geom);
  return y;
}
export function avgPool3d(g: Pool3DGeometry, x: Float32Array): Float32Array {
  const geom = poolGeomArray(g), s = poolSizes(g);
  checkLen(x, s.x, 'avgPool3d x');
  const y = new Float32Array(s.y);
  k().avgPool3d(x, y, geom);
  return y;
}
export function maxPool3dGrad(g: Pool3DGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const geom = poolGeomArray(g), s = poolSizes(g);
  checkLen(x, s.x, 'maxPool3dGrad x'); checkLen(dy, s.y, 'maxPool3dGrad dy');
  const dx = new Float32Array(s.x);
  k().maxPool3dGrad(x, dy, dx, geom);
  return dx;
}
export function avgPool3dGrad(g: Pool3DGeometry, dy: Float32Array): Float32Array {
  const geom = poolGeomArray(g), s = poolSizes(g);
  checkLen(dy, s.y, 'avgPool3dGrad dy');
  const dx = new Float32Array(s.x);
  k().avgPool3dGrad(dy, dx, geom);
  return dx;
}

/** This machine's fp32 FMA peak in GFLOP/s, measured by the addon (bf16Dot: the bf16 dot-product peak). */
export function fmaPeak(threads: number, seconds = 0.5, bf16Dot = false): number {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`fmaPeak: threads must be an integer >= 1, got ${threads}`);
  return k().fmaPeak(threads, seconds, bf16Dot);
}

/** Instruction-throughput probe (one thread): see NativeKernels.isaProbe. */
export function isaProbe(trials = 5, msEach = 20): IsaProbeResult {
  if (!Number.isInteger(trials) || trials < 1) throw new RangeError(`isaProbe: trials must be an integer >= 1, got ${trials}`);
  if (!(msEach > 0 && msEach <= 1000)) throw new RangeError(`isaProbe: msEach must be in (0, 1000], got ${msEach}`);
  return k().isaProbe(trials, msEach);
}

export function bf16DotCompiled(): boolean {
  return k().conv3dBf16Dot;
}

// ----------------------------------------------------------- TS references
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
  const xs = maybeRound(x, o.bf16), ws = maybeRound(filter, o.bf16);
  const y = new Float64Array(convSizes(g).y);
  forEachTap(g, (yo, xo, wo) => {
    for (let ci = 0; ci < g.cin; ci++) {
      const xv = xs[xo + ci], wr = wo + ci * g.cout;
      for (let co = 0; co < g.cout; co++) y[yo + co] += xv * ws[wr + co];
    }
  });
  return Float32Array.from(y);
}

export function conv3dBackpropInputRef(g: Conv3DGeometry, dy: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const ds = maybeRound(dy, o.bf16), ws = maybeRound(filter, o.bf16);
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
  const xs = maybeRound(x, o.bf16), ds = maybeRound(dy, o.bf16);
  const df = new Float64Array(convSizes(g).filter);
  forEachTap(g, (yo, xo, wo) => {
    for (let ci = 0; ci < g.cin; ci++) {
      const xv = xs[xo + ci], wr = wo + ci * g.cout;
      for (let co = 0; co < g.cout; co++) df[wr + co] += xv * ds[yo + co];
    }
  });
  return Float32Array.from(df);
}

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
      let m = -Infinity, at = -1;
      for (const xo of xs) if (x[xo + c] >= m) { m = x[xo + c]; at = xo + c; }
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

// ------------------------------------------------------------ element-wise
export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type BinaryOpName = keyof typeof BINARY_OPS;

/** numpy broadcasting of two shapes; throws when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new RangeError(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element strides of `shape` seen through the broadcast `out` shape (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): Float64Array {
  const st = new Float64Array(out.length);
  let acc = 1;
  for (let i = out.length - 1; i >= 0; i--) {
    const j = i - (out.length - shape.length);
    if (j < 0) continue;
    st[i] = shape[j] === 1 ? 0 : acc;
    acc *= shape[j];
  }
  return st;
}

/**
 * Merges adjacent dimensions that both inputs walk contiguously (or both
 * broadcast), and drops size-1 dimensions: same-shape operands become one flat
 * loop in the native kernel.
 */
export function collapseBroadcast(shape: readonly number[], as: Float64Array, bs: Float64Array): { shape: Float64Array; as: Float64Array; bs: Float64Array } {
  const sh: number[] = [], sa: number[] = [], sb: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const j = sh.length - 1;
    if (j >= 0 && sa[j] === as[i] * shape[i] && sb[j] === bs[i] * shape[i]) {
      sh[j] *= shape[i];
      sa[j] = as[i];
      sb[j] = bs[i];
    } else {
      sh.push(shape[i]);
      sa.push(as[i]);
      sb.push(bs[i]);
    }
  }
  return { shape: Float64Array.from(sh), as: Float64Array.from(sa), bs: Float64Array.from(sb) };
}

const binFns: Record<BinaryOpName, (x: number, y: number) => number> = {
  add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y,
};

/** Native broadcasting add/sub/mul/div of float32 arrays (rank <= 8). */
export function binary(op: BinaryOpName, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]): { values: Float32Array; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  if (shape.length > 8) throw new RangeError(`binary ${op}: rank ${shape.length} > 8`);
  checkLen(a, aShape.reduce((p, q) => p * q, 1), `${op} a`);
  checkLen(b, bShape.reduce((p, q) => p * q, 1), `${op} b`);
  const out = new Float32Array(shape.reduce((p, q) => p * q, 1));
  const c = collapseBroadcast(shape, broadcastStrides(aShape, shape), broadcastStrides(bShape, shape));
  k().binaryF32(BINARY_OPS[op], c.shape, a, c.as, b, c.bs, out);
  return { values: out, shape };
}

export function binaryRef(op: BinaryOpName, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]): { values: Float32Array; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  const as = broadcastStrides(aShape, shape), bs = broadcastStrides(bShape, shape);
  const n = shape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(n);
  const f = binFns[op];
  for (let i = 0; i < n; i++) {
    let rem = i, ia = 0, ib = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const c = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      ia += c * as[d];
      ib += c * bs[d];
    }
    out[i] = f(a[ia], b[ib]);
  }
  return { values: out, shape };
}

export function relu(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  k().reluF32(x, y);
  return y;
}
export const reluRef = (x: Float32Array) => x.map((v) => (v < 0 ? 0 : v));

export function step(x: Float32Array, alpha = 0): Float32Array {
  const y = new Float32Array(x.length);
  k().stepF32(x, y, alpha);
  return y;
}
export const stepRef = (x: Float32Array, alpha = 0) => x.map((v) => (Number.isNaN(v) ? v : v > 0 ? 1 : alpha));

/** ReLU's gradient: dy * step(x) in one pass. */
export function reluGrad(dy: Float32Array, x: Float32Array): Float32Array {
  if (dy.length !== x.length) throw new RangeError(`reluGrad: dy has ${dy.length} elements, x has ${x.length}`);
  const dx = new Float32Array(x.length);
  k().reluGradF32(dy, x, dx);
  return dx;
}
export const reluGradRef = (dy: Float32Array, x: Float32Array) => dy.map((d, i) => d * (Number.isNaN(x[i]) ? x[i] : x[i] > 0 ? 1 : 0));

function checkTile(xShape: readonly number[], reps: readonly number[], dyLen: number): void {
  if (xShape.length !== reps.length || xShape.length > 8) throw new RangeError(`tileGrad: shape [${xShape}] and reps [${reps}] must have one equal rank <= 8`);
  if ([...xShape, ...reps].some((v) => !Number.isInteger(v) || v < 0)) throw new RangeError(`tileGrad: shape [${xShape}] and reps [${reps}] must be non-negative integers`);
  const n = xShape.reduce((a, s, i) => a * s * reps[i], 1);
  if (n !== dyLen) throw new RangeError(`tileGrad: dy has ${dyLen} elements, shape [${xShape}] x reps [${reps}] needs ${n}`);
}

/** Tile's gradient: the sum of dy over every repetition, shaped like x. */
export function tileGrad(xShape: readonly number[], reps: readonly number[], dy: Float32Array): Float32Array {
  checkTile(xShape, reps, dy.length);
  const dx = new Float32Array(xShape.reduce((a, b) => a * b, 1));
  k().tileGradF32(Float64Array.from(xShape), Float64Array.from(reps), dy, dx);
  return dx;
}

/** Plain reference of tileGrad: every dy element adds into dx at its index modulo x's shape. */
export function tileGradRef(xShape: readonly number[], reps: readonly number[], dy: Float32Array): Float32Array {
  checkTile(xShape, reps, dy.length);
  const r = xShape.length;
  const yShape = xShape.map((s, i) => s * reps[i]);
  const dx = new Float32Array(xShape.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < dy.length; i++) {
    let o = 0;
    for (let d = 0; d < r; d++) o = o * xShape[d] + (idx[d] % xShape[d]);
    dx[o] += dy[i];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < yShape[d]) break;
      idx[d] = 0;
    }
  }
  return dx;
}

/** Softmax over the last axis of length `cols`. */
export function softmax(x: Float32Array, cols: number): Float32Array {
  if (!Number.isInteger(cols) || cols < 1 || x.length % cols !== 0) throw new RangeError(`softmax: ${x.length} elements do not split into rows of ${cols}`);
  const y = new Float32Array(x.length);
  k().softmaxF32(x, y, cols);
  return y;
}
export function softmaxRef(x: Float32Array, cols: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += cols) {
    let m = -Infinity, s = 0;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r + j]);
    for (let j = 0; j < cols; j++) s += (y[r + j] = Math.exp(x[r + j] - m));
    for (let j = 0; j < cols; j++) y[r + j] /= s;
  }
  return y;
}
