// The addon's fused softmax + Dice terms and gradient against the float64 reference
// (test/references/softmax-dice.ts), with and without the background, and the argument checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softmaxDice, softmaxDiceGrad, type SoftmaxDiceShape } from '../../src/native/softmax-dice.js';
import { softmaxDiceGradRef, softmaxDiceRef } from '../references/softmax-dice.js';
import { Rng } from '../../src/util/random.js';
import { randomArray, relErr } from './conv-geom.js';

const rng = new Rng(23);

for (const g of [
  { n: 2, v: 4096, c: 2, c0: 1, smoothNr: 1e-5, smoothDr: 1e-5 },
  { n: 2, v: 777, c: 2, c0: 0, smoothNr: 1e-5, smoothDr: 1e-5 },
  { n: 1, v: 20001, c: 3, c0: 1, smoothNr: 0, smoothDr: 1e-6 },
  { n: 3, v: 125, c: 4, c0: 0, smoothNr: 1, smoothDr: 1 },
] as SoftmaxDiceShape[]) {
  test(`softmaxDice n ${g.n} v ${g.v} c ${g.c} c0 ${g.c0}: terms and gradient equal the reference`, () => {
    const size = g.n * g.v * g.c;
    const logits = randomArray(rng, size).map((v) => 3 * v);
    const target = new Float32Array(size);
    for (let r = 0; r < g.n * g.v; r++) target[r * g.c + Math.floor(rng.random() * g.c)] = 1;
    const { f, prob, stats } = softmaxDice(g, logits, target);
    assert.ok(relErr(f, softmaxDiceRef(g, logits, target)) < 1e-5, `f: ${relErr(f, softmaxDiceRef(g, logits, target))}`);
    const dy = randomArray(rng, g.n * (g.c - g.c0));
    const dx = softmaxDiceGrad(g, dy, prob, target, stats),
      ref = softmaxDiceGradRef(g, dy, logits, target);
    assert.ok(relErr(dx, ref) < 1e-4, `dx: ${relErr(dx, ref)}`);
  });
}

test('softmaxDice: bad arguments are refused with what was expected', () => {
  const g = { n: 1, v: 4, c: 2, c0: 1, smoothNr: 1e-5, smoothDr: 1e-5 };
  assert.throws(() => softmaxDice({ ...g, c0: 2 }, new Float32Array(8), new Float32Array(8)), /c0 must be an integer in \[0, c\), got 2/);
  assert.throws(() => softmaxDice(g, new Float32Array(7), new Float32Array(8)), /logits has 7 elements, expected 8/);
  assert.throws(() => softmaxDice({ ...g, smoothDr: -1 }, new Float32Array(8), new Float32Array(8)), /smoothDr must be a finite number >= 0/);
  assert.throws(() => softmaxDiceGrad(g, new Float32Array(2), new Float32Array(8), new Float32Array(8), new Float32Array(6)), /dy has 2 elements, expected 1/);
});
