// Typed interface of the addon's one-pass Adam / AdamW update (native/kernels/adam.cc) and its
// validated wrapper; the plain-TypeScript reference is test/references/adam.ts.
import { native } from './loader.js';

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
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    bc1: number,
    bc2: number,
    weightDecay: number,
    decoupled: boolean,
  ): void;
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

function checkAdamStep(s: AdamStepParams): void {
  for (const k of ['lr', 'beta1', 'beta2', 'eps', 'bc1', 'bc2', 'weightDecay'] as const)
    if (!Number.isFinite(s[k]) || s[k] < 0) throw new RangeError(`adam: ${k} must be a finite number >= 0, got ${s[k]}`);
  if (!(s.bc1 > 0) || !(s.bc2 > 0)) throw new RangeError(`adam: bias corrections must be > 0, got ${s.bc1}, ${s.bc2}`);
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
  for (const [a, name] of [
    [p, 'p'],
    [m, 'm'],
    [v, 'v'],
    [g, 'g'],
  ] as const) {
    if (!(a instanceof Float32Array)) throw new TypeError(`adam: ${name} must be a Float32Array`);
    if (a.length !== p.length) throw new RangeError(`adam: ${name} has ${a.length} elements, p has ${p.length}`);
  }
  const out = { p: new Float32Array(p.length), m: new Float32Array(p.length), v: new Float32Array(p.length) };
  const k: NativeAdam = native();
  k.adamF32(p, m, v, g, out.p, out.m, out.v, s.lr, s.beta1, s.beta2, s.eps, s.bc1, s.bc2, s.weightDecay, s.decoupled);
  return out;
}
