// The native data-movement kernels (nearest 3D upsampling and its adjoint, concat / split
// along the last axis) against their plain-TypeScript references, on odd shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatLast, splitLast, upsampleNearest3d, upsampleNearest3dGrad, upsampledShape } from '../../src/native/datamove.js';
import { concatLastRef, upsampleNearest3dGradRef, upsampleNearest3dRef } from '../references/datamove.js';
import { Rng } from '../../src/util/random.js';

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal(0, 1);
  return a;
}
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const UP_CASES: { x: number[]; s: number[] }[] = [
  { x: [2, 3, 4, 5, 3], s: [2, 2, 2] },
  { x: [1, 5, 3, 7, 1], s: [2, 3, 1] },
  { x: [3, 2, 2, 2, 17], s: [1, 2, 3] },
  { x: [2, 8, 8, 8, 16], s: [2, 2, 2] },
  { x: [1, 1, 1, 300, 2], s: [3, 1, 2] },
  { x: [1, 0, 2, 2, 3], s: [2, 2, 2] },
];

for (const c of UP_CASES) {
  test(`upsampleNearest3d [${c.x}] x[${c.s}]: native = reference (exact), gradient = block sums (1e-6)`, () => {
    const rng = new Rng(7);
    const x = rand(rng, size(c.x));
    assert.deepEqual(upsampleNearest3d(x, c.x, c.s), upsampleNearest3dRef(x, c.x, c.s));
    const dy = rand(rng, size(upsampledShape(c.x, c.s)));
    const g = upsampleNearest3dGrad(dy, c.x, c.s),
      r = upsampleNearest3dGradRef(dy, c.x, c.s);
    assert.equal(g.length, r.length);
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - r[i]) <= 1e-6 * (1 + Math.abs(r[i])), `dx[${i}] ${g[i]} vs ${r[i]}`);
  });
}

test('upsampleNearest3dGrad is the adjoint of upsampleNearest3d: <up(x), dy> = <x, grad(dy)>', () => {
  const rng = new Rng(9),
    xs = [2, 3, 5, 4, 6],
    s = [2, 3, 2];
  const x = rand(rng, size(xs)),
    dy = rand(rng, size(upsampledShape(xs, s)));
  const y = upsampleNearest3d(x, xs, s),
    g = upsampleNearest3dGrad(dy, xs, s);
  let a = 0,
    b = 0;
  for (let i = 0; i < y.length; i++) a += y[i] * dy[i];
  for (let i = 0; i < x.length; i++) b += x[i] * g[i];
  assert.ok(Math.abs(a - b) < 1e-4 * (1 + Math.abs(a)), `${a} vs ${b}`);
});

test('upsampleNearest3d rejects bad shapes and factors with the field named', () => {
  assert.throws(() => upsampleNearest3d(new Float32Array(8), [2, 2, 2], [2, 2, 2]), /NDHWC shape/);
  assert.throws(() => upsampleNearest3d(new Float32Array(8), [1, 2, 2, 2, 1], [2, 0, 2]), /factors/);
  assert.throws(() => upsampleNearest3d(new Float32Array(7), [1, 2, 2, 2, 1], [2, 2, 2]), /has 7 elements/);
  assert.throws(() => upsampleNearest3dGrad(new Float32Array(8), [1, 2, 2, 2, 1], [2, 2, 2]), /dy has 8 elements/);
});

for (const widths of [
  [3, 5],
  [16, 8],
  [1, 1, 1],
  [300, 7, 0, 2],
]) {
  test(`concatLast / splitLast widths [${widths}]: native = reference (exact), split inverts concat`, () => {
    const rng = new Rng(11),
      rows = 37;
    const parts = widths.map((w) => rand(rng, rows * w));
    const out = concatLast(parts, rows);
    assert.deepEqual(Array.from(out), Array.from(concatLastRef(parts, rows)));
    const back = splitLast(out, rows, widths);
    back.forEach((p, i) => assert.deepEqual(p, parts[i]));
    const ints = widths.map((w) => Int32Array.from({ length: rows * w }, (_, i) => i * 7 - 3));
    const io = concatLast(ints, rows);
    assert.ok(io instanceof Int32Array);
    assert.deepEqual(Array.from(io), Array.from(concatLastRef(ints, rows)));
  });
}

test('concatLast / splitLast reject mismatched parts', () => {
  assert.throws(() => concatLast([new Float32Array(6), new Int32Array(6)], 3), /part 1 is a Int32Array/);
  assert.throws(() => concatLast([new Float32Array(7)], 3), /not a multiple of 3 rows/);
  assert.throws(() => splitLast(new Float32Array(10), 3, [2, 2]), /has 10 elements/);
});

test('upsampleLinearAxis: the adjoint identity <up(x), g> = <x, up*(g)> and edge clamping', async () => {
  const { upsampleLinearAxis } = await import('../../src/native/datamove.js');
  const rng = new Rng(13);
  for (const [outer, n, inner, s] of [
    [3, 5, 7, 2],
    [2, 1, 3, 3],
    [1, 4, 1, 4],
    [4, 6, 33, 1],
  ]) {
    const x = rand(rng, outer * n * inner),
      g = rand(rng, outer * n * s * inner);
    const y = upsampleLinearAxis(x, outer, n, inner, s),
      gx = upsampleLinearAxis(g, outer, n, inner, s, true);
    let a = 0,
      b = 0;
    for (let i = 0; i < y.length; i++) a += y[i] * g[i];
    for (let i = 0; i < x.length; i++) b += x[i] * gx[i];
    assert.ok(Math.abs(a - b) < 1e-4 * (1 + Math.abs(a)), `[${outer},${n},${inner}]x${s}: ${a} vs ${b}`);
  }
  // n = 2, s = 2, one column: rows 0.75·x0 + 0.25·x0 (clamped), 0.75·x0 + 0.25·x1, 0.25·x0 + 0.75·x1, x1
  assert.deepEqual(Array.from(upsampleLinearAxis(Float32Array.from([4, 8]), 1, 2, 1, 2)), [4, 5, 7, 8]);
  assert.throws(() => upsampleLinearAxis(new Float32Array(3), 1, 2, 1, 2), /has 3 elements/);
  assert.throws(() => upsampleLinearAxis(new Float32Array(2), 1, 2, 1, 0), /factor s/);
});
