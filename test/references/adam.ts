// Plain-TypeScript reference of the addon's one-pass Adam update (src/native/adam.ts): PyTorch's
// rule in float64.
import type { AdamStepParams } from '../../src/native/adam.js';

export function adamRef(
  s: AdamStepParams,
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
): { p: Float64Array; m: Float64Array; v: Float64Array } {
  const n = p.length,
    out = { p: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    let pi = p[i],
      gi = g[i];
    if (s.decoupled) pi *= 1 - s.lr * s.weightDecay;
    else gi += s.weightDecay * p[i];
    const mi = m[i] * s.beta1 + gi * (1 - s.beta1),
      vi = v[i] * s.beta2 + gi * gi * (1 - s.beta2);
    out.m[i] = mi;
    out.v[i] = vi;
    out.p[i] = pi - (mi / (Math.sqrt(vi) / Math.sqrt(s.bc2) + s.eps)) * (s.lr / s.bc1);
  }
  return out;
}
