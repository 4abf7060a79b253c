// Parzen estimators for TPE, in the unit space [0, 1]: a weighted mixture of truncated
// normals (one kernel per observation plus a wide prior kernel) for numbers, and
// smoothed weighted counts for categories.
import type { Rng } from '../../util/random.js';

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erf via the Chebyshev fit of erfc (Numerical Recipes), |error| < 1.2e-7. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

function normCdf(x: number): number {
  return 0.5 * (1 + erf(x / SQRT2));
}

export interface NumericParzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
}

/**
 * Kernels for observations xs (unit space) with weights ws. `minSigma` overrides the floor
 * of the magic clip (TPEController passes 1/min(100, N+1) for N observations in all). `bandwidth` 'neighbour' is the
 * univariate rule (the larger gap to a neighbour, the prior among the points), 'scott' a
 * shared Scott-style width for `dims` joint dimensions. Widths are clipped to
 * [1/min(100, n+1), 1] (the "magic clip").
 */
export function fitNumeric(
  xs: number[],
  ws: number[],
  opts: { priorWeight: number; bandwidth: 'neighbour' | 'scott'; dims?: number; minSigma?: number },
): NumericParzen {
  const n = xs.length;
  const mus = [...xs, 0.5];
  const weights = [...ws, opts.priorWeight];
  let sigmas: number[];
  if (n === 0) sigmas = [1];
  else if (opts.bandwidth === 'scott') {
    const d = opts.dims ?? 1;
    const s = 0.2 * Math.pow(n + 1, -1 / (d + 4));
    sigmas = [...xs.map(() => s), 1];
  } else {
    // The larger gap to a neighbour among the observations and the bounds; the outermost
    // points use their inner gap (endpoints not considered). The prior kernel keeps width 1.
    const order = xs.map((m, i) => [m, i] as const).sort((a, b) => a[0] - b[0]);
    const sorted = [0, ...order.map((o) => o[0]), 1];
    sigmas = new Array(mus.length);
    const inner: number[] = [];
    for (let j = 0; j < order.length; j++) inner.push(Math.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]));
    if (order.length >= 2) {
      inner[0] = sorted[2] - sorted[1];
      inner[order.length - 1] = sorted[order.length] - sorted[order.length - 1];
    }
    order.forEach((o, j) => {
      sigmas[o[1]] = inner[j];
    });
    sigmas[mus.length - 1] = 1;
  }
  const minSigma = opts.minSigma ?? 1 / Math.min(100, n + 2);
  sigmas = sigmas.map((s) => Math.min(1, Math.max(minSigma, s)));
  const total = weights.reduce((a, b) => a + b, 0);
  return { mus, sigmas, weights: weights.map((w) => w / total) };
}

/** log of each kernel's truncated-normal density at x (for joint scoring). */
export function kernelLogPdfs(p: NumericParzen, x: number): number[] {
  return p.mus.map((mu, i) => {
    const s = p.sigmas[i];
    const z = (x - mu) / s;
    const mass = normCdf((1 - mu) / s) - normCdf((0 - mu) / s);
    return -0.5 * z * z - LOG_SQRT_2PI - Math.log(s) - Math.log(Math.max(mass, 1e-300));
  });
}

export function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** log density of the mixture at x. */
export function numericLogPdf(p: NumericParzen, x: number): number {
  const lk = kernelLogPdfs(p, x);
  return logSumExp(lk.map((l, i) => l + Math.log(p.weights[i])));
}

/** A draw from kernel i, truncated to [0, 1]. */
export function sampleKernel(p: NumericParzen, i: number, rng: Rng): number {
  for (let t = 0; t < 64; t++) {
    const x = rng.normal(p.mus[i], p.sigmas[i]);
    if (x >= 0 && x <= 1) return x;
  }
  return Math.min(1, Math.max(0, p.mus[i]));
}

export function sampleNumeric(p: NumericParzen, rng: Rng): number {
  return sampleKernel(p, rng.weightedIndex(p.weights), rng);
}

/** Category probabilities: prior weight spread evenly plus weighted counts. */
export function fitCategorical(idx: number[], ws: number[], k: number, priorWeight: number): number[] {
  const p = new Array(k).fill(priorWeight / k);
  idx.forEach((c, i) => {
    if (c >= 0 && c < k) p[c] += ws[i];
  });
  const total = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / total);
}

/** Observation weights: 1 for the newest 25, a linear ramp from 1/n for older ones (oldest first in `n`). */
export function ageWeights(n: number): number[] {
  if (n < 25) return new Array(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 : 1 / n + (i * (1 - 1 / n)) / (n - 26)));
  return [...ramp, ...new Array(25).fill(1)];
}
