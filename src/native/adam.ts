// Typed interface of the addon's one-pass Adam / AdamW update (native/kernels/adam.cc) and its
// validated wrapper; the plain-TypeScript reference is test/references/adam.ts.
import { native } from './loader.js';

/** The step's hyper-parameters as the addon takes them, after the arrays. */
type AdamHyper = [lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weightDecay: number, decoupled: boolean];

export interface NativeAdam {
  /** Writes the updated p, m, v (trusted: equal lengths, finite hyper-parameters). */
  adamF32(
    p: Float32Array,
    m: Float32Array,
    v: Float32Array,
    g: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    ...h: AdamHyper
  ): void;
  /** Updates every ps[i], ms[i], vs[i] in place from gs[i], in one parallel pass (trusted: equal lengths per i, distinct arrays). */
  adamF32InPlace(ps: Float32Array[], ms: Float32Array[], vs: Float32Array[], gs: Float32Array[], ...h: AdamHyper): void;
}

/** Adam's hyper-parameters for one step; bc1/bc2 are 1 - beta^t. */
export interface AdamStepParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  bc1: number;
  bc2: number;
  weightDecay: number;
  decoupled: boolean;
}

/** Adam's state and gradient of one parameter, as arrays. */
export interface AdamArrays {
  p: Float32Array;
  m: Float32Array;
  v: Float32Array;
  g: Float32Array;
}

/** The addon's hyper-parameter arguments of a step. */
export const adamHyper = (s: AdamStepParams): AdamHyper => [s.lr, s.beta1, s.beta2, s.eps, s.bc1, s.bc2, s.weightDecay, s.decoupled];

function checkAdamStep(s: AdamStepParams): void {
  for (const k of ['lr', 'beta1', 'beta2', 'eps', 'bc1', 'bc2', 'weightDecay'] as const)
    if (!Number.isFinite(s[k]) || s[k] < 0) throw new RangeError(`adam: ${k} must be a finite number >= 0, got ${s[k]}`);
  if (!(s.bc1 > 0) || !(s.bc2 > 0)) throw new RangeError(`adam: bias corrections must be > 0, got ${s.bc1}, ${s.bc2}`);
}

function checkArrays({ p, m, v, g }: AdamArrays, where: string): void {
  for (const [a, name] of [
    [p, 'p'],
    [m, 'm'],
    [v, 'v'],
    [g, 'g'],
  ] as const) {
    if (!(a instanceof Float32Array)) throw new TypeError(`adam${where}: ${name} must be a Float32Array`);
    if (a.length !== p.length) throw new RangeError(`adam${where}: ${name} has ${a.length} elements, p has ${p.length}`);
  }
}

/** One Adam step of a parameter: new { p, m, v } (inputs untouched). */
export function adamUpdate(
  s: AdamStepParams,
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
): { p: Float32Array; m: Float32Array; v: Float32Array } {
  checkAdamStep(s);
  checkArrays({ p, m, v, g }, '');
  const out = { p: new Float32Array(p.length), m: new Float32Array(p.length), v: new Float32Array(p.length) };
  const k: NativeAdam = native();
  k.adamF32(p, m, v, g, out.p, out.m, out.v, ...adamHyper(s));
  return out;
}

/** One Adam step of many parameters at once, updating each one's p, m and v in place (g is read). */
export function adamUpdateInPlace(s: AdamStepParams, params: AdamArrays[]): void {
  checkAdamStep(s);
  const seen = new Set<ArrayBufferLike>();
  params.forEach((a, i) => {
    checkArrays(a, ` [${i}]`);
    for (const x of [a.p, a.m, a.v]) {
      if (seen.has(x.buffer)) throw new RangeError(`adam [${i}]: p, m and v must be distinct arrays on their own buffers`);
      seen.add(x.buffer);
    }
  });
  const k: NativeAdam = native();
  const col = <K extends keyof AdamArrays>(key: K) => params.map((a) => a[key]);
  k.adamF32InPlace(col('p'), col('m'), col('v'), col('g'), ...adamHyper(s));
}
