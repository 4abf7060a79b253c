// The addon's PReLU and its gradient against the float64 reference (test/references/prelu.ts):
// shared and per-channel alpha, odd sizes, NaN propagation, and the argument checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prelu, preluGrad } from '../../src/native/prelu.js';
import { preluGradRef, preluRef } from '../references/prelu.js';
import { Rng } from '../../src/util/random.js';
import { randomArray, relErr } from './conv-geom.js';

const rng = new Rng(17);

for (const [rows, c] of [
  [1, 1],
  [7, 3],
  [40001, 1],
  [3001, 16],
  [513, 33],
] as const) {
  for (const perChannel of [false, true]) {
    test(`prelu [${rows}, ${c}] ${perChannel ? 'per-channel' : 'shared'} alpha: forward and gradients equal the reference`, () => {
      const x = randomArray(rng, rows * c),
        dy = randomArray(rng, rows * c);
      x[0] = 0; // x = 0 takes the alpha branch, as PyTorch's and tfjs's x > 0 mask does
      const alpha = randomArray(rng, perChannel ? c : 1).map((v) => 0.25 + 0.1 * v);
      assert.ok(relErr(prelu(x, alpha, c), preluRef(x, alpha, c)) < 1e-7);
      const g = preluGrad(dy, x, alpha, c),
        r = preluGradRef(dy, x, alpha, c);
      assert.ok(relErr(g.dx, r.dx) < 1e-7, 'dx');
      assert.ok(relErr(g.dalpha, r.dalpha) < 1e-5, `dalpha: ${relErr(g.dalpha, r.dalpha)}`);
    });
  }
}

test('prelu: NaN in x gives NaN y and NaN dalpha (its channel), a finite dx', () => {
  const x = new Float32Array([NaN, 1, -2, 3]),
    alpha = new Float32Array([0.5, 0.1]);
  const y = prelu(x, alpha, 2);
  assert.ok(Number.isNaN(y[0]));
  assert.deepEqual(Array.from(y.subarray(1)), [1, -1, 3]);
  const g = preluGrad(new Float32Array([1, 1, 1, 1]), x, alpha, 2);
  assert.deepEqual(Array.from(g.dx), [0.5, 1, 0.5, 1]);
  assert.ok(Number.isNaN(g.dalpha[0]));
  assert.equal(g.dalpha[1], 0);
});

test('prelu: bad arguments are refused with what was expected', () => {
  assert.throws(() => prelu(new Float32Array(6), new Float32Array(2), 3), /alpha has 2 values, expected 1 or c = 3/);
  assert.throws(() => prelu(new Float32Array(7), new Float32Array(1), 3), /not a multiple of c = 3/);
  assert.throws(() => prelu(new Float32Array(6), new Float32Array(1), 0), /c must be a positive integer/);
  assert.throws(() => preluGrad(new Float32Array(5), new Float32Array(6), new Float32Array(1), 3), /dy must be a Float32Array of 6 elements/);
});
