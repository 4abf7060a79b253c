// The exact Wilcoxon signed-rank p-values against scipy.stats.wilcoxon(d, alternative='less',
// method='exact') (values computed with scipy 1.x), tie handling against a brute-force
// enumeration of sign patterns, and Optuna's WilcoxonPruner decision rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wilcoxonLessP, wilcoxonPrune } from '../../src/automl/wilcoxon.js';

test('p-values equal scipy.stats.wilcoxon(alternative="less", method="exact") on tie-free samples', () => {
  const cases: [number[], number][] = [
    [[-0.1, -0.2, 0.05, -0.3, -0.15, -0.02, 0.01, -0.4], 0.02734375],
    [[0.3, -0.1, 0.2, 0.25, -0.05], 0.90625],
    [[-1, -2, -3, -4, -5, -6], 0.015625],
    [[-0.5, 0.2, -0.1, 0.3, -0.7, -0.8, 0.05, -0.25, -0.6, 0.15, -0.9, -0.35], 0.026123046875],
  ];
  for (const [d, p] of cases) assert.ok(Math.abs(wilcoxonLessP(d) - p) < 1e-12, `${d}: ${wilcoxonLessP(d)} vs ${p}`);
  assert.equal(wilcoxonLessP([]), 1);
  assert.equal(wilcoxonLessP([0, 0]), 1, 'zeros are dropped');
});

test('with tied |differences| the p-value is the exact sign-flip distribution of the average-rank statistic', () => {
  const d = [-0.2, 0.2, -0.2, -0.5, 0.1, -0.5, -0.3];
  const abs = d.map(Math.abs);
  const rank = abs.map((a) => {
    const lt = abs.filter((b) => b < a).length,
      eq = abs.filter((b) => b === a).length;
    return lt + (eq + 1) / 2;
  });
  const stat = (signs: number[]) => signs.reduce((s, x, i) => s + (x > 0 ? rank[i] : 0), 0);
  const obs = stat(d);
  let le = 0;
  for (let m = 0; m < 1 << d.length; m++) if (stat(d.map((_, i) => ((m >> i) & 1 ? 1 : -1))) <= obs + 1e-9) le++;
  assert.ok(Math.abs(wilcoxonLessP(d) - le / (1 << d.length)) < 1e-12);
});

test('the pruning rule: paired cases only, n_startup, never when better on average, p below the threshold', () => {
  const best = { a: 0.9, b: 0.85, c: 0.95, d: 0.8, e: 0.9, f: 0.88 };
  const worse = { a: 0.7, b: 0.6, c: 0.75, d: 0.65, e: 0.7, f: 0.66, zz: 0.1 };
  const w = wilcoxonPrune(worse, best, { pThreshold: 0.1, nStartup: 2 });
  assert.equal(w.n, 6, 'only the cases both have');
  assert.ok(w.prune && Math.abs(w.p - 0.015625) < 1e-12);
  assert.equal(wilcoxonPrune({ a: 0.7 }, best, { pThreshold: 0.1, nStartup: 2 }).prune, false, 'n_startup');
  assert.equal(wilcoxonPrune({ a: 0.95, b: 0.9, c: 0.96 }, best, { pThreshold: 0.1, nStartup: 2 }).prune, false, 'better on average');
  assert.equal(wilcoxonPrune({ a: 0.89, b: 0.86, c: 0.94 }, best, { pThreshold: 0.1, nStartup: 2 }).prune, false, 'not significant');
});
