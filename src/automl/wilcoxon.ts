// The Wilcoxon signed-rank test that Optuna's WilcoxonPruner runs on paired per-instance
// values: zero differences dropped (scipy's zero_method "wilcox"), tied |differences| given
// their average rank, and the exact null distribution of the positive-rank sum over the 2^n
// sign patterns (a dynamic programme over doubled ranks, so ties stay exact).

/** One-sided p-value for "the differences tend to be negative" (scipy.stats.wilcoxon(d, alternative='less')). */
export function wilcoxonLessP(d: readonly number[]): number {
  const nz = d.filter((x) => x !== 0 && Number.isFinite(x));
  const n = nz.length;
  if (n === 0) return 1;
  const order = nz.map((x, i) => ({ a: Math.abs(x), i })).sort((p, q) => p.a - q.a);
  const r2 = new Array<number>(n); // doubled average ranks (integers)
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && order[e + 1].a === order[s].a) e++;
    for (let k = s; k <= e; k++) r2[order[k].i] = s + 1 + e + 1; // 2 × (s+1 + e+1)/2
    s = e + 1;
  }
  let observed = 0;
  nz.forEach((x, i) => {
    if (x > 0) observed += r2[i];
  });
  const total = r2.reduce((a, b) => a + b, 0);
  let dp = new Float64Array(total + 1);
  dp[0] = 1;
  for (const r of r2) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= total; s++) {
      if (dp[s] === 0) continue;
      next[s] += dp[s] * 0.5;
      next[s + r] += dp[s] * 0.5;
    }
    dp = next;
  }
  let p = 0;
  for (let s = 0; s <= observed; s++) p += dp[s];
  return Math.min(1, p);
}

interface WilcoxonDecision {
  prune: boolean;
  p: number;
  n: number;
  meanDiff: number;
}

/** Optuna's WilcoxonPruner rule: prune when at least `nStartup` paired cases exist, the trial is
 *  worse on average, and the one-sided test says worse with p < pThreshold. Differences are taken
 *  so that negative = worse: current − best for a score, best − current for a distance
 *  (`lowerIsBetter`, HD95; Optuna's direction="minimize"). */
export function wilcoxonPrune(
  current: Record<string, number>,
  best: Record<string, number>,
  o: { pThreshold: number; nStartup: number; lowerIsBetter?: boolean },
): WilcoxonDecision {
  const d: number[] = [];
  for (const [id, v] of Object.entries(current)) {
    const b = best[id];
    if (Number.isFinite(v) && b !== undefined && Number.isFinite(b)) d.push(o.lowerIsBetter ? b - v : v - b);
  }
  const meanDiff = d.length ? d.reduce((a, b) => a + b, 0) / d.length : 0;
  if (d.length < o.nStartup || meanDiff >= 0) return { prune: false, p: 1, n: d.length, meanDiff };
  const p = wilcoxonLessP(d);
  return { prune: p < o.pThreshold, p, n: d.length, meanDiff };
}
