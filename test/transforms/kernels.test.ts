// Every native transform kernel equals its plain-TypeScript reference
// (exact for index maps, 1e-5 relative for interpolation, intensity and noise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/native/index.js';
import type { Shape3 } from '../../src/native/transforms.js';
import { Rng } from '../../src/util/random.js';
import { resampleRef } from '../../src/transforms/ops/resample.js';
import { affineIntensityRef, momentsRef, normalizeRef } from '../../src/transforms/ops/intensity.js';
import { cropPadRef, flipRef, rot90Ref } from '../../src/transforms/ops/spatial.js';
import { gaussianNoiseRef } from '../../src/transforms/ops/noise.js';
import { boundingBoxRef, fgBgIndicesRef, oneHotRef } from '../../src/transforms/ops/label.js';

const T = native().transforms;
const shape: Shape3 = [13, 17, 11];
const C = 2;
const N = C * shape[0] * shape[1] * shape[2];
function randomVolume(seed: number, n = N): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-100, 300));
}
function close(a: Float32Array, b: Float32Array, rel = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = rel * Math.max(1, Math.abs(b[i]));
    if (!(Math.abs(a[i] - b[i]) <= tol)) assert.fail(`element ${i}: native ${a[i]} vs reference ${b[i]}`);
  }
}
const x = randomVolume(1);

for (const mode of ['linear', 'nearest'] as const) {
  for (const padding of ['zeros', 'border', 'reflection'] as const) {
    for (const async of [false, true]) {
      test(`resample ${mode} ${padding} ${async ? 'async' : 'sync'} equals the reference`, async () => {
        const outShape: Shape3 = [9, 20, 14];
        // rotation + scale + translation reaching outside the input
        const a = 0.3,
          s = 0.8;
        const xform = [s * Math.cos(a), -s * Math.sin(a), 0.1, -1.7, s * Math.sin(a), s * Math.cos(a), 0.05, 2.2, 0.02, 0, 1.1, -1.3];
        const out = new Float32Array(C * outShape[0] * outShape[1] * outShape[2]);
        await T.resample(
          x,
          C,
          shape,
          out,
          outShape,
          Float64Array.from(xform),
          mode === 'linear' ? 1 : 0,
          { zeros: 0, border: 1, reflection: 2 }[padding],
          async,
        );
        const ref = resampleRef(x, C, shape, outShape, xform, mode, padding);
        if (mode === 'nearest') assert.deepEqual(out, ref);
        else close(out, ref);
        assert.ok(out.some((v) => v !== 0));
      });
    }
  }
}

test('resample with the identity is a copy', () => {
  const out = new Float32Array(N);
  T.resample(x, C, shape, out, shape, Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]), 1, 1, false);
  assert.deepEqual(out, x);
});

test('affine intensity with and without clip equals the reference', async () => {
  for (const clip of [false, true]) {
    const out = new Float32Array(N);
    await T.affineIntensity(x, out, 1 / 400, 0.25, clip, 0, 1, true);
    close(out, affineIntensityRef(x, 1 / 400, 0.25, clip, 0, 1));
  }
});

test('moments and normalize equal the reference', () => {
  const y = x.map((v, i) => (i % 3 === 0 ? 0 : v));
  for (const nz of [false, true]) {
    const [s, q, n] = T.moments(y, nz);
    const [rs, rq, rn] = momentsRef(y, nz);
    assert.equal(n, rn);
    assert.ok(Math.abs(s - rs) <= 1e-9 * Math.abs(rq));
    assert.ok(Math.abs(q - rq) <= 1e-9 * rq);
    const out = new Float32Array(N);
    T.normalize(y, out, 12.5, 1 / 80, nz, false);
    close(out, normalizeRef(y, 12.5, 1 / 80, nz));
  }
});

test('flip over every axis combination is exact', () => {
  for (let mask = 0; mask < 8; mask++) {
    const out = new Float32Array(N);
    T.flip(x, out, C, shape, mask, false);
    assert.deepEqual(out, flipRef(x, C, shape, mask));
  }
});

test('rot90 for every k and axis pair is exact and matches numpy semantics on a 2x3 plane', () => {
  for (const [a0, a1] of [
    [0, 1],
    [0, 2],
    [1, 2],
    [1, 0],
  ]) {
    for (let k = -1; k < 5; k++) {
      const out = new Float32Array(N);
      T.rot90(x, out, C, shape, k, a0, a1, false);
      assert.deepEqual(out, rot90Ref(x, C, shape, k, a0, a1), `k=${k} axes=${a0},${a1}`);
    }
  }
  // numpy.rot90([[0,1,2],[3,4,5]]) == [[2,5],[1,4],[0,3]]
  const m = Float32Array.from([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(rot90Ref(m, 1, [2, 3, 1], 1, 0, 1)), [2, 5, 1, 4, 0, 3]);
  // k=3: [[3,0],[4,1],[5,2]]
  assert.deepEqual(Array.from(rot90Ref(m, 1, [2, 3, 1], 3, 0, 1)), [3, 0, 4, 1, 5, 2]);
});

test('crop/pad with negative starts and overhang is exact', () => {
  for (const [os, st] of [
    [
      [5, 6, 7],
      [2, 3, 1],
    ],
    [
      [20, 4, 15],
      [-3, 5, -2],
    ],
    [
      [4, 4, 4],
      [12, 16, 10],
    ],
    [
      [3, 3, 3],
      [-5, 0, 0],
    ],
  ] as [Shape3, Shape3][]) {
    const out = new Float32Array(C * os[0] * os[1] * os[2]);
    T.cropPad(x, out, C, shape, os, st, -7, false);
    assert.deepEqual(out, cropPadRef(x, C, shape, os, st, -7));
  }
});

test('gaussian noise equals the reference, depends on the seed only, and is standard normal', async () => {
  const zero = new Float32Array(200000);
  const a = new Float32Array(zero.length),
    b = new Float32Array(zero.length);
  await T.gaussianNoise(zero, a, 1234, 0, 1, true);
  T.gaussianNoise(zero, b, 1234, 0, 1, false);
  assert.deepEqual(a, b);
  close(a, gaussianNoiseRef(zero, 1234, 0, 1));
  const c = new Float32Array(zero.length);
  T.gaussianNoise(zero, c, 1235, 0, 1, false);
  assert.notDeepEqual(a, c);
  const [s, q, n] = momentsRef(a, false);
  assert.ok(Math.abs(s / n) < 0.01, `mean ${s / n}`);
  assert.ok(Math.abs(q / n - 1) < 0.02, `variance ${q / n}`);
});

test('foreground/background indices equal the reference (with and without image)', async () => {
  const sp = shape[0] * shape[1] * shape[2];
  const r = new Rng(5);
  const label = Float32Array.from({ length: sp }, () => (r.random() < 0.2 ? 1 : 0));
  const image = Float32Array.from({ length: sp }, () => (r.random() < 0.5 ? 0 : 5));
  for (const img of [image, null]) {
    const got = await T.fgBgIndices(label, 1, img, 1, sp, 0, true);
    const ref = fgBgIndicesRef(label, 1, img, 1, sp, 0);
    assert.deepEqual(got.fg, ref.fg);
    assert.deepEqual(got.bg, ref.bg);
  }
  // a volume bigger than one chunk keeps the order
  const big = new Float32Array(300000).map((_, i) => (i % 7 === 0 ? 2 : 0));
  const got = T.fgBgIndices(big, 1, null, 1, big.length, 0, false) as { fg: Int32Array; bg: Int32Array };
  assert.deepEqual(got.fg, fgBgIndicesRef(big, 1, null, 1, big.length, 0).fg);
});

test('bounding box and one-hot equal the reference', () => {
  const sp = shape[0] * shape[1] * shape[2];
  const v = new Float32Array(C * sp);
  v[(3 * shape[1] + 5) * shape[2] + 2] = 1;
  v[sp + (9 * shape[1] + 1) * shape[2] + 7] = 1;
  assert.deepEqual(T.boundingBox(v, C, shape, 0), boundingBoxRef(v, C, shape, 0));
  assert.deepEqual(T.boundingBox(v, C, shape, 0), { start: [3, 1, 2], end: [10, 6, 8] });
  assert.equal(T.boundingBox(new Float32Array(N), C, shape, 0), null);
  const lab = Float32Array.from({ length: sp }, (_, i) => i % 4);
  const out = new Float32Array(3 * sp);
  T.oneHot(lab, out, sp, 3, false);
  assert.deepEqual(out, oneHotRef(lab, sp, 3));
});
