// The addon's label one-hot against the plain-TypeScript reference (tfjs's Round, Cast and
// OneHot written out): halves, negatives, NaN, infinities, huge values, out-of-range classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelOneHot } from '../../src/native/label-onehot.js';
import { labelOneHotRef } from '../references/label-onehot.js';
import { Rng } from '../../src/util/random.js';

test('labelOneHot equals the reference on edge values and random labels', () => {
  const edge = [0, 0.5, 1.5, 2.5, -0.5, -1.5, 0.49, 0.51, NaN, Infinity, -Infinity, 4294967296, 4294967808, 3e9, 2147483648, 1, 2, 3, 4];
  const rng = new Rng(9);
  const label = Float32Array.from([...edge, ...Array.from({ length: 70001 }, () => Math.round(rng.uniform(-1, 4) * 2) / 2)]);
  for (const depth of [1, 2, 3, 5]) assert.deepEqual(labelOneHot(label, depth), labelOneHotRef(label, depth), `depth ${depth}`);
});

test('labelOneHot refuses a bad depth by name', () => {
  assert.throws(() => labelOneHot(new Float32Array(3), 0), /labelOneHot: depth must be a positive integer, got 0/);
});
