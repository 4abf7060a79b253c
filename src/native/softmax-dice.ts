// Typed interface of the addon's fused softmax + Dice loss terms (native/kernels/softmax_dice.cc)
// and validated wrappers; the plain-TypeScript reference is test/references/softmax-dice.ts.
// Layout: logits and target [n, v, c] (channels last); classes before c0 get no term.
import { native } from './loader.js';

export interface NativeSoftmaxDice {
  softmaxDiceF32(
    n: number,
    v: number,
    c: number,
    c0: number,
    smoothNr: number,
    smoothDr: number,
    logits: Float32Array,
    target: Float32Array,
    prob: Float32Array,
    stats: Float32Array,
    f: Float32Array,
  ): void;
  softmaxDiceGradF32(
    n: number,
    v: number,
    c: number,
    c0: number,
    smoothNr: number,
    smoothDr: number,
    dy: Float32Array,
    prob: Float32Array,
    target: Float32Array,
    stats: Float32Array,
    dlogits: Float32Array,
  ): void;
}

/** n samples of v voxels with c classes; terms for classes c0..c-1; MONAI's smooth_nr / smooth_dr. */
export interface SoftmaxDiceShape {
  n: number;
  v: number;
  c: number;
  c0: number;
  smoothNr: number;
  smoothDr: number;
}

function checkShape(g: SoftmaxDiceShape, arrays: [Float32Array, number, string][]): void {
  for (const k of ['n', 'v', 'c'] as const)
    if (!Number.isInteger(g[k]) || g[k] < 1) throw new RangeError(`softmaxDice: ${k} must be a positive integer, got ${g[k]}`);
  if (!Number.isInteger(g.c0) || g.c0 < 0 || g.c0 >= g.c) throw new RangeError(`softmaxDice: c0 must be an integer in [0, c), got ${g.c0}`);
  for (const k of ['smoothNr', 'smoothDr'] as const)
    if (!Number.isFinite(g[k]) || g[k] < 0) throw new RangeError(`softmaxDice: ${k} must be a finite number >= 0, got ${g[k]}`);
  for (const [a, len, what] of arrays) {
    if (!(a instanceof Float32Array)) throw new TypeError(`softmaxDice: ${what} must be a Float32Array`);
    if (a.length !== len) throw new RangeError(`softmaxDice: ${what} has ${a.length} elements, expected ${len}`);
  }
}

/** The Dice terms f [n, c - c0], the softmax prob [n, v, c] and the sums stats [n, c, 3] (tp, ps, gs). */
export function softmaxDice(g: SoftmaxDiceShape, logits: Float32Array, target: Float32Array): { f: Float32Array; prob: Float32Array; stats: Float32Array } {
  const size = g.n * g.v * g.c;
  checkShape(g, [
    [logits, size, 'logits'],
    [target, size, 'target'],
  ]);
  const out = { f: new Float32Array(g.n * (g.c - g.c0)), prob: new Float32Array(size), stats: new Float32Array(g.n * g.c * 3) };
  native().softmaxDiceF32(g.n, g.v, g.c, g.c0, g.smoothNr, g.smoothDr, logits, target, out.prob, out.stats, out.f);
  return out;
}

/** dL/dlogits [n, v, c] from dy = dL/df [n, c - c0] and the forward's prob and stats. */
export function softmaxDiceGrad(g: SoftmaxDiceShape, dy: Float32Array, prob: Float32Array, target: Float32Array, stats: Float32Array): Float32Array {
  const size = g.n * g.v * g.c;
  checkShape(g, [
    [dy, g.n * (g.c - g.c0), 'dy'],
    [prob, size, 'prob'],
    [target, size, 'target'],
    [stats, g.n * g.c * 3, 'stats'],
  ]);
  const dx = new Float32Array(size);
  native().softmaxDiceGradF32(g.n, g.v, g.c, g.c0, g.smoothNr, g.smoothDr, dy, prob, target, stats, dx);
  return dx;
}
