// Typed interface of the native conv3d / pool3d kernels and their validated wrappers
// (the plain-TypeScript references the tests compare them with live in test/references/).
// Layout: NDHWC (tfjs): x [N,D,H,W,Cin], filter [KD,KH,KW,Cin,Cout].
import type * as tf from '@tensorflow/tfjs';
import { native } from './loader.js';

/** The conv kernels' precision argument for use_amp: bf16 on the AMX tiles for the passes whose
 *  geometry they run faster than fp32, fp32 for the others; where AMX is not usable, bf16 (as `true`). */
export const CONV_AMP = 2;
/** The conv kernels' precision argument: false fp32, true bf16, CONV_AMP use_amp's choice. */
type ConvPrecisionArg = boolean | typeof CONV_AMP;

/** Raw addon functions (arguments are trusted: call the wrappers below). */
export interface NativeKernels {
  conv3dForward(x: Float32Array, filter: Float32Array, y: Float32Array, geom: Int32Array, precision: ConvPrecisionArg): void;
  conv3dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geom: Int32Array, precision: ConvPrecisionArg): void;
  conv3dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, geom: Int32Array, precision: ConvPrecisionArg): void;
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
}

/** Result of NativeKernels.isaProbe: instructions per ns and per cycle, GFLOP/s (one thread). */
export interface IsaProbeResult {
  ghz: number;
  rates: { instr: string; chains: number; perNs: number; perCycle: number; gflops: number }[];
}

/** Geometry of a 3D convolution (padding = before-padding, as tfjs computes it). */
export interface Conv3DGeometry {
  n: number;
  d: number;
  h: number;
  w: number;
  cin: number;
  kd: number;
  kh: number;
  kw: number;
  cout: number;
  sd: number;
  sh: number;
  sw: number;
  od: number;
  oh: number;
  ow: number;
  pf: number;
  pt: number;
  pl: number;
}

/** Geometry of a 3D pooling window (channels c are pooled independently). */
export interface Pool3DGeometry {
  n: number;
  d: number;
  h: number;
  w: number;
  c: number;
  fd: number;
  fh: number;
  fw: number;
  sd: number;
  sh: number;
  sw: number;
  od: number;
  oh: number;
  ow: number;
  pf: number;
  pt: number;
  pl: number;
}

const CONV_KEYS = ['n', 'd', 'h', 'w', 'cin', 'kd', 'kh', 'kw', 'cout', 'sd', 'sh', 'sw', 'od', 'oh', 'ow', 'pf', 'pt', 'pl'] as const;
const POOL_KEYS = ['n', 'd', 'h', 'w', 'c', 'fd', 'fh', 'fw', 'sd', 'sh', 'sw', 'od', 'oh', 'ow', 'pf', 'pt', 'pl'] as const;

function checkInts<K extends string>(g: Record<K, number>, keys: readonly K[], what: string): Int32Array {
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
  const a = checkInts(g, CONV_KEYS, 'conv3d');
  for (const k of ['kd', 'kh', 'kw', 'sd', 'sh', 'sw'] as const) if (g[k] < 1) throw new RangeError(`conv3d: geometry field '${k}' must be >= 1, got ${g[k]}`);
  const dims: [number, number, number, number, number, string][] = [
    [g.d, g.kd, g.sd, g.od, g.pf, 'depth'],
    [g.h, g.kh, g.sh, g.oh, g.pt, 'height'],
    [g.w, g.kw, g.sw, g.ow, g.pl, 'width'],
  ];
  for (const [inp, k, s, o, p, name] of dims) {
    if (o > 0 && p > k - 1) throw new RangeError(`conv3d: ${name} padding ${p} exceeds filter size ${k} - 1`);
    if (o > 0 && (o - 1) * s + k - p > inp + k - 1)
      throw new RangeError(`conv3d: ${name} output ${o} does not fit input ${inp} (filter ${k}, stride ${s}, pad ${p})`);
  }
  return a;
}

export function poolGeomArray(g: Pool3DGeometry): Int32Array {
  const a = checkInts(g, POOL_KEYS, 'pool3d');
  for (const k of ['fd', 'fh', 'fw', 'sd', 'sh', 'sw'] as const) if (g[k] < 1) throw new RangeError(`pool3d: geometry field '${k}' must be >= 1, got ${g[k]}`);
  return a;
}

/** tfjs's conv/pool geometry (backend_util.computeConv3DInfo / computePool3DInfo). */
export type Conv3DInfo = ReturnType<typeof tf.backend_util.computeConv3DInfo>;

/** The conv geometry of a tfjs Conv3DInfo. */
export function convGeomFromInfo(ci: Conv3DInfo): Conv3DGeometry {
  return {
    n: ci.batchSize,
    d: ci.inDepth,
    h: ci.inHeight,
    w: ci.inWidth,
    cin: ci.inChannels,
    kd: ci.filterDepth,
    kh: ci.filterHeight,
    kw: ci.filterWidth,
    cout: ci.outChannels,
    sd: ci.strideDepth,
    sh: ci.strideHeight,
    sw: ci.strideWidth,
    od: ci.outDepth,
    oh: ci.outHeight,
    ow: ci.outWidth,
    pf: ci.padInfo.front,
    pt: ci.padInfo.top,
    pl: ci.padInfo.left,
  };
}

/** The pool geometry of a tfjs Conv3DInfo (as computePool3DInfo returns). */
export function poolGeomFromInfo(ci: Conv3DInfo): Pool3DGeometry {
  return {
    n: ci.batchSize,
    d: ci.inDepth,
    h: ci.inHeight,
    w: ci.inWidth,
    c: ci.inChannels,
    fd: ci.filterDepth,
    fh: ci.filterHeight,
    fw: ci.filterWidth,
    sd: ci.strideDepth,
    sh: ci.strideHeight,
    sw: ci.strideWidth,
    od: ci.outDepth,
    oh: ci.outHeight,
    ow: ci.outWidth,
    pf: ci.padInfo.front,
    pt: ci.padInfo.top,
    pl: ci.padInfo.left,
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

const k = (): NativeKernels => native();

export interface ConvOptions {
  /** bf16 inputs and weights (round-to-nearest-even), fp32 accumulation. */
  bf16?: boolean;
}

/** Native Conv3D forward: y [N,OD,OH,OW,Cout]. */
export function conv3dForward(g: Conv3DGeometry, x: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const geom = convGeomArray(g),
    s = convSizes(g);
  checkLen(x, s.x, 'conv3d x');
  checkLen(filter, s.filter, 'conv3d filter');
  const y = new Float32Array(s.y);
  k().conv3dForward(x, filter, y, geom, !!o.bf16);
  return y;
}

/** Native gradient of Conv3D with respect to its input: dx [N,D,H,W,Cin]. */
export function conv3dBackpropInput(g: Conv3DGeometry, dy: Float32Array, filter: Float32Array, o: ConvOptions = {}): Float32Array {
  const geom = convGeomArray(g),
    s = convSizes(g);
  checkLen(dy, s.y, 'conv3d dy');
  checkLen(filter, s.filter, 'conv3d filter');
  const dx = new Float32Array(s.x);
  k().conv3dBackpropInput(dy, filter, dx, geom, !!o.bf16);
  return dx;
}

/** Native gradient of Conv3D with respect to its filter: [KD,KH,KW,Cin,Cout]. */
export function conv3dBackpropFilter(g: Conv3DGeometry, x: Float32Array, dy: Float32Array, o: ConvOptions = {}): Float32Array {
  const geom = convGeomArray(g),
    s = convSizes(g);
  checkLen(x, s.x, 'conv3d x');
  checkLen(dy, s.y, 'conv3d dy');
  const df = new Float32Array(s.filter);
  k().conv3dBackpropFilter(x, dy, df, geom, !!o.bf16);
  return df;
}

export function maxPool3d(g: Pool3DGeometry, x: Float32Array): Float32Array {
  const geom = poolGeomArray(g),
    s = poolSizes(g);
  checkLen(x, s.x, 'maxPool3d x');
  const y = new Float32Array(s.y);
  k().maxPool3d(x, y, geom);
  return y;
}
export function avgPool3d(g: Pool3DGeometry, x: Float32Array): Float32Array {
  const geom = poolGeomArray(g),
    s = poolSizes(g);
  checkLen(x, s.x, 'avgPool3d x');
  const y = new Float32Array(s.y);
  k().avgPool3d(x, y, geom);
  return y;
}
export function maxPool3dGrad(g: Pool3DGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const geom = poolGeomArray(g),
    s = poolSizes(g);
  checkLen(x, s.x, 'maxPool3dGrad x');
  checkLen(dy, s.y, 'maxPool3dGrad dy');
  const dx = new Float32Array(s.x);
  k().maxPool3dGrad(x, dy, dx, geom);
  return dx;
}
export function avgPool3dGrad(g: Pool3DGeometry, dy: Float32Array): Float32Array {
  const geom = poolGeomArray(g),
    s = poolSizes(g);
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
