// The addon's middle-axis sum and one-pass Adam update against their plain-TypeScript
// references (test/references/), and the [outer, mid, inner] view of a reduction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { middleView, sumMiddle } from '../../src/native/reduce.js';
import { adamUpdate, adamUpdateInPlace, type AdamStepParams } from '../../src/native/adam.js';
import { sumMiddleRef } from '../references/reduce.js';
import { adamRef } from '../references/adam.js';
import { native } from '../../src/native/loader.js';
import { Rng } from '../../src/util/random.js';
import { randomArray } from './conv-geom.js';

const rng = new Rng(5);

test('sumMiddle equals the float64 reference on odd views, with 1 and 2 threads alike', () => {
  for (const [o, m, i] of [
    [1, 1, 1],
    [1, 65537, 1],
    [3, 1000, 1],
    [1, 40000, 3],
    [2, 5000, 17],
    [4, 3, 9],
    [1, 2, 33000],
    [3, 0, 2],
    [0, 4, 4],
  ]) {
    const x = randomArray(rng, o * m * i);
    const before = native().setNumThreads(1);
    const one = sumMiddle(x, o, m, i);
    native().setNumThreads(2);
    const two = sumMiddle(x, o, m, i);
    native().setNumThreads(before);
    assert.deepEqual(one, two, `[${o}, ${m}, ${i}]: thread count changed the result`);
    const ref = sumMiddleRef(x, o, m, i);
    ref.forEach((r, j) => assert.ok(Math.abs(r - one[j]) <= 1e-5 * (1 + Math.sqrt(m)), `[${o}, ${m}, ${i}] at ${j}: ${one[j]} vs ${r}`));
  }
});

test('sumMiddle refuses bad sizes with the field named', () => {
  assert.throws(() => sumMiddle(new Float32Array(6), 2, 2, 2), /x has 6 elements, \[2, 2, 2\] needs 8/);
  assert.throws(() => sumMiddle(new Float32Array(6), 2, -3, 1), /mid must be a non-negative integer/);
});

test('middleView merges adjacent reduced axes and skips size-1 axes', () => {
  assert.deepEqual(middleView([2, 4, 4, 4, 8], [0, 1, 2, 3]), [1, 128, 8]);
  assert.deepEqual(middleView([2, 4, 4, 4, 8], [1, 2, 3]), [2, 64, 8]);
  assert.deepEqual(middleView([2, 4, 4, 4, 8], [4]), [128, 8, 1]);
  assert.deepEqual(middleView([2, 1, 4, 8], [0, 2]), [1, 8, 8]);
  assert.deepEqual(middleView([5], []), [5, 1, 1]);
  assert.equal(middleView([2, 3, 4], [0, 2]), undefined);
});

test('adamUpdate equals the float64 reference (Adam, Adam + L2, AdamW) and leaves its inputs alone', () => {
  const n = 777;
  const p = randomArray(rng, n),
    m = randomArray(rng, n).map((v) => v * 0.1),
    v = randomArray(rng, n).map((x) => Math.abs(x) * 0.01),
    g = randomArray(rng, n);
  const keep = [p, m, v, g].map((a) => a.slice());
  for (const [wd, decoupled] of [
    [0, false],
    [0.01, false],
    [0.01, true],
  ] as const) {
    const s: AdamStepParams = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, bc1: 1 - 0.9 ** 4, bc2: 1 - 0.999 ** 4, weightDecay: wd, decoupled };
    const got = adamUpdate(s, p, m, v, g),
      ref = adamRef(s, p, m, v, g);
    for (const k of ['p', 'm', 'v'] as const)
      got[k].forEach((x, i) =>
        assert.ok(Math.abs(x - ref[k][i]) <= 1e-6 * (1 + Math.abs(ref[k][i])), `${k}[${i}] wd ${wd} ${decoupled}: ${x} vs ${ref[k][i]}`),
      );
  }
  [p, m, v, g].forEach((a, i) => assert.deepEqual(a, keep[i]));
  assert.throws(
    () => adamUpdate({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, bc1: 0, bc2: 0.1, weightDecay: 0, decoupled: false }, p, m, v, g),
    /bias corrections must be > 0/,
  );
  assert.throws(
    () => adamUpdate({ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, bc1: 0.1, bc2: 0.1, weightDecay: 0, decoupled: false }, p, m, v.subarray(1), g),
    /v has 776 elements/,
  );
});

test('adamUpdateInPlace equals the float64 reference on several parameters at once and checks its arrays', () => {
  const s: AdamStepParams = { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, bc1: 1 - 0.9 ** 3, bc2: 1 - 0.999 ** 3, weightDecay: 0.01, decoupled: true };
  const make = (n: number) => ({
    p: randomArray(rng, n),
    m: randomArray(rng, n).map((v) => v * 0.1),
    v: randomArray(rng, n).map((x) => Math.abs(x) * 0.01),
    g: randomArray(rng, n),
  });
  const params = [make(5), make(20000), make(16385)];
  const refs = params.map(({ p, m, v, g }) => adamRef(s, p, m, v, g));
  const grads = params.map((x) => x.g.slice());
  adamUpdateInPlace(s, params);
  params.forEach((x, t) => {
    for (const k of ['p', 'm', 'v'] as const)
      x[k].forEach((got, i) =>
        assert.ok(Math.abs(got - refs[t][k][i]) <= 1e-6 * (1 + Math.abs(refs[t][k][i])), `[${t}] ${k}[${i}]: ${got} vs ${refs[t][k][i]}`),
      );
    assert.deepEqual(x.g, grads[t], 'g is only read');
  });
  const a = make(8);
  assert.throws(() => adamUpdateInPlace(s, [a, { ...make(8), g: new Float32Array(7) }]), /adam \[1\]: g has 7 elements, p has 8/);
  assert.throws(() => adamUpdateInPlace(s, [{ ...a, m: a.p }]), /adam \[0\]: p, m and v must be distinct arrays/);
  assert.throws(() => adamUpdateInPlace({ ...s, lr: -1 }, [a]), /lr must be a finite number >= 0/);
});
