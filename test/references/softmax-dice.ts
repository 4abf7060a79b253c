// Plain-TypeScript reference of the addon's fused softmax + Dice terms (src/native/softmax-dice.ts),
// float64: softmax over the last axis, per-(sample, class) sums, MONAI's terms, and the gradient of
// Σ dy·f to the logits written out by the chain rule.
import type { SoftmaxDiceShape } from '../../src/native/softmax-dice.js';

function softmaxRows(g: SoftmaxDiceShape, x: ArrayLike<number>): Float64Array {
  const p = new Float64Array(g.n * g.v * g.c);
  for (let r = 0; r < g.n * g.v; r++) {
    let m = -Infinity,
      s = 0;
    for (let j = 0; j < g.c; j++) m = Math.max(m, x[r * g.c + j]);
    for (let j = 0; j < g.c; j++) s += Math.exp(x[r * g.c + j] - m);
    for (let j = 0; j < g.c; j++) p[r * g.c + j] = Math.exp(x[r * g.c + j] - m) / s;
  }
  return p;
}

function sums(g: SoftmaxDiceShape, p: Float64Array, t: ArrayLike<number>): Float64Array {
  const st = new Float64Array(g.n * g.c * 3);
  for (let s = 0; s < g.n; s++)
    for (let i = 0; i < g.v; i++)
      for (let j = 0; j < g.c; j++) {
        const k = (s * g.v + i) * g.c + j;
        st[(s * g.c + j) * 3] += p[k] * t[k];
        st[(s * g.c + j) * 3 + 1] += p[k];
        st[(s * g.c + j) * 3 + 2] += t[k];
      }
  return st;
}

/** The terms f [n, c - c0]. */
export function softmaxDiceRef(g: SoftmaxDiceShape, logits: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const st = sums(g, softmaxRows(g, logits), target);
  const cc = g.c - g.c0,
    f = new Float64Array(g.n * cc);
  for (let s = 0; s < g.n; s++)
    for (let j = g.c0; j < g.c; j++) {
      const q = (s * g.c + j) * 3;
      f[s * cc + j - g.c0] = 1 - (2 * st[q] + g.smoothNr) / (st[q + 1] + st[q + 2] + g.smoothDr);
    }
  return f;
}

/** d(Σ dy·f)/dlogits [n, v, c]. */
export function softmaxDiceGradRef(g: SoftmaxDiceShape, dy: ArrayLike<number>, logits: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const p = softmaxRows(g, logits),
    st = sums(g, p, target);
  const cc = g.c - g.c0,
    dx = new Float64Array(p.length),
    dp = new Float64Array(g.c);
  for (let s = 0; s < g.n; s++)
    for (let i = 0; i < g.v; i++) {
      const r = (s * g.v + i) * g.c;
      let dot = 0;
      for (let j = 0; j < g.c; j++) {
        dp[j] = 0;
        if (j >= g.c0) {
          const q = (s * g.c + j) * 3,
            num = 2 * st[q] + g.smoothNr,
            den = st[q + 1] + st[q + 2] + g.smoothDr;
          dp[j] = (-dy[s * cc + j - g.c0] * (2 * target[r + j] * den - num)) / (den * den);
        }
        dot += p[r + j] * dp[j];
      }
      for (let j = 0; j < g.c; j++) dx[r + j] = p[r + j] * (dp[j] - dot);
    }
  return dx;
}
