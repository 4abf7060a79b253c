import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageWeights, erf, fitCategorical, fitNumeric, numericLogPdf, sampleNumeric } from '../../../src/automl/controllers/parzen.js';
import { Rng } from '../../../src/util/random.js';

test('erf matches tabulated values', () => {
  for (const [x, v] of [
    [0, 0],
    [0.5, 0.5204998778],
    [1, 0.8427007929],
    [2, 0.995322265],
    [-1, -0.8427007929],
  ]) {
    assert.ok(Math.abs(erf(x) - v) < 2e-7, `erf(${x}) = ${erf(x)}`);
  }
});

test('a Parzen mixture is a density on [0, 1] and its samples stay there', () => {
  for (const bw of ['neighbour', 'scott'] as const) {
    const p = fitNumeric([0.1, 0.12, 0.8, 0.95], [1, 1, 1, 1], { priorWeight: 1, bandwidth: bw, dims: 2 });
    let integral = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) integral += Math.exp(numericLogPdf(p, (i + 0.5) / n)) / n;
    assert.ok(Math.abs(integral - 1) < 1e-3, `${bw}: integral ${integral}`);
    const rng = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const x = sampleNumeric(p, rng);
      assert.ok(x >= 0 && x <= 1);
    }
    // Mass concentrates near the observations: more density at 0.11 than at 0.5.
    assert.ok(numericLogPdf(p, 0.11) > numericLogPdf(p, 0.5));
  }
});

test('categorical estimates and age weights', () => {
  const p = fitCategorical([0, 0, 2], [1, 1, 1], 3, 1);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(p[0] > p[2] && p[2] > p[1]);
  assert.deepEqual(ageWeights(3), [1, 1, 1]);
  const w = ageWeights(30);
  assert.equal(w.length, 30);
  assert.ok(Math.abs(w[0] - 1 / 30) < 1e-12 && w[4] === 1 && w[29] === 1 && w[1] > w[0]);
});
