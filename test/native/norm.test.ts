// The addon's group normalisation (instance: G = C, group, batch: S = 1) and its gradients
// against the float64 reference (test/references/norm.ts), on odd sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupNorm, groupNormGrad, type NormShape } from '../../src/native/norm.js';
import { groupNormGradRef, groupNormRef } from '../references/norm.js';
import { Rng } from '../../src/util/random.js';
import { randomArray } from './conv-geom.js';

const rng = new Rng(31);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

const SHAPES: NormShape[] = [
  { s: 2, v: 343, c: 8, g: 8 },
  { s: 1, v: 40000, c: 3, g: 3 },
  { s: 3, v: 125, c: 12, g: 4 },
  { s: 1, v: 2 * 729, c: 6, g: 6 },
  { s: 2, v: 1, c: 4, g: 2 },
];

for (const n of SHAPES) {
  for (const affine of [false, true]) {
    test(`groupNorm and its gradients equal the reference: S ${n.s} V ${n.v} C ${n.c} G ${n.g}${affine ? ' affine' : ''}`, () => {
      const size = n.s * n.v * n.c;
      const x = randomArray(rng, size).map((v, i) => v * 2 + (i % n.c));
      const w = affine ? randomArray(rng, n.c) : null,
        b = affine ? randomArray(rng, n.c) : null;
      const got = groupNorm(n, 1e-5, x, w, b),
        ref = groupNormRef(n, 1e-5, x, w, b);
      close(got.y, ref.y, 2e-4, 'y');
      close(got.mean, ref.mean, 1e-5, 'mean');
      close(got.variance, ref.variance, 1e-4, 'variance');
      const dy = randomArray(rng, size);
      const g = groupNormGrad(n, 1e-5, dy, x, got.mean, got.variance, w),
        r = groupNormGradRef(n, 1e-5, dy, x, w);
      close(g.dx, r.dx, 2e-3, 'dx');
      if (affine) {
        close(g.dw!, r.dw, 1e-3, 'dw');
        close(g.db!, r.db, 1e-4, 'db');
      } else assert.equal(g.dw, null);
    });
  }
}

test('groupNorm refuses groups that do not divide the channels, and w without b', () => {
  assert.throws(() => groupNorm({ s: 1, v: 4, c: 6, g: 4 }, 1e-5, new Float32Array(24)), /4 groups do not divide 6 channels/);
  assert.throws(() => groupNorm({ s: 1, v: 4, c: 2, g: 2 }, 1e-5, new Float32Array(8), new Float32Array(2)), /both w and b/);
  assert.throws(() => groupNorm({ s: 1, v: 4, c: 2, g: 2 }, 0, new Float32Array(8)), /eps must be/);
});
