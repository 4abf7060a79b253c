import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/random.js';

test('the same seed gives the same stream, another seed another', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const xa = Array.from({ length: 20 }, () => a.random());
  const xb = Array.from({ length: 20 }, () => b.random());
  const xc = Array.from({ length: 20 }, () => c.random());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  assert.ok(xa.every((x) => x >= 0 && x < 1));
});

test('uniform, int and normal have the right moments', () => {
  const r = new Rng(7);
  const n = 20000;
  let s = 0,
    s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[r.int(0, 3)]++;
  assert.ok(
    counts.every((c) => c > 900 && c < 1100),
    String(counts),
  );
  assert.throws(() => r.int(3, 3), /empty range/);
});

test('shuffle is a permutation and forks are independent but reproducible', () => {
  const a = new Rng(1).shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...a].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
  const f1 = new Rng(5).fork(),
    f2 = new Rng(5).fork();
  assert.equal(f1.random(), f2.random());
});
