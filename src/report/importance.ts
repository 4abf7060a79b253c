// Parameter importance from finished jobs: a fANOVA-style main-effect estimate. For each
// searched parameter the jobs are grouped (an enum by its choice; a float into up to four
// quantile bins of its value), and the share of the score variance that the group means
// explain is reported: η² = between-group sum of squares / total sum of squares (one-way
// ANOVA). It is the parameter's main effect alone (interactions are not attributed), and
// with few jobs it is noisy: the number of jobs is shown with it.
import type { Param } from './run-data.js';

export const IMPORTANCE_METHOD = 'one-way ANOVA main effect (η² = share of the score variance explained by the parameter alone; floats in ≤4 quantile bins)';

interface Importance {
  key: string;
  label: string;
  eta2: number;
  groups: number;
}

/** Groups of equal-size rank bins (ties stay together). */
function bins(values: number[], k: number): number[] {
  const order = [...values.keys()].sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(values.length).fill(0);
  let bin = 0;
  const per = values.length / k;
  for (let r = 0; r < order.length; r++) {
    const i = order[r];
    if (r > 0 && values[i] !== values[order[r - 1]] && r >= Math.round(per * (bin + 1))) bin++;
    out[i] = bin;
  }
  return out;
}

export function parameterImportance(params: Param[], rows: { values: Record<string, number>; score: number }[]): Importance[] {
  const ok = rows.filter((r) => Number.isFinite(r.score));
  if (ok.length < 3) return [];
  const out: Importance[] = [];
  for (const p of params) {
    const have = ok.filter((r) => r.values[p.key] !== undefined && Number.isFinite(r.values[p.key]));
    if (have.length < 3) continue;
    const vals = have.map((r) => r.values[p.key]);
    const group = p.kind === 'cat' ? vals.map((v) => Math.round(v)) : bins(vals, Math.min(4, Math.floor(have.length / 2)));
    const sums = new Map<number, { s: number; n: number }>();
    have.forEach((r, i) => {
      const g = sums.get(group[i]) ?? { s: 0, n: 0 };
      g.s += r.score;
      g.n++;
      sums.set(group[i], g);
    });
    const m = have.reduce((a, r) => a + r.score, 0) / have.length;
    const tot = have.reduce((a, r) => a + (r.score - m) ** 2, 0);
    let between = 0;
    for (const g of sums.values()) between += g.n * (g.s / g.n - m) ** 2;
    out.push({ key: p.key, label: p.label, eta2: tot > 0 && sums.size > 1 ? between / tot : 0, groups: sums.size });
  }
  return out.sort((a, b) => b.eta2 - a.eta2);
}
