// The native resampling paths against the plain-TypeScript reference: the row path (the
// fastest output axis moves only the fastest input axis: zoom/translate as in Spacingd and
// rotations in the (i, j) plane) is bit-exact; the general path (any affine; forced with
// path 2) is exact for nearest and within 1e-5 for trilinear. Odd sizes, rows shorter and
// longer than the 8-voxel vector step, rows that start and end outside the input, every
// padding mode, reversed and fast-moving k axes, degenerate axes, 1 and 2 threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/native/index.js';
import type { Shape3 } from '../../src/native/transforms.js';
import { Rng } from '../../src/util/random.js';
import { resampleRef, type InterpMode, type PaddingMode } from '../../src/transforms/ops/resample.js';

const N = native();
const T = N.transforms;
const threadsBefore = N.info().threads;
after(() => {
  N.setNumThreads(threadsBefore);
});

function volume(seed: number, n: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-100, 300));
}
function close(a: Float32Array, b: Float32Array, what: string, rel = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = rel * Math.max(1, Math.abs(b[i]));
    if (!(Math.abs(a[i] - b[i]) <= tol)) assert.fail(`${what}: element ${i}: native ${a[i]} vs reference ${b[i]}`);
  }
}
function firstDiff(a: Float32Array, b: Float32Array): string {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) return `element ${i}: native ${a[i]} vs reference ${b[i]}`;
  return 'equal';
}

const PAD: Record<PaddingMode, number> = { zeros: 0, border: 1, reflection: 2 };
function run(x: Float32Array, C: number, s: Shape3, os: Shape3, xf: number[], mode: InterpMode, pad: PaddingMode, path: 0 | 2): Float32Array {
  // the output sits between two guard bands that must stay untouched (no write past either end)
  const len = C * os[0] * os[1] * os[2],
    G = 64;
  const buf = new Float32Array(len + 2 * G).fill(-7.25);
  const out = buf.subarray(G, G + len).fill(Number.NaN);
  T.resample(x, C, s, out, os, Float64Array.from(xf), mode === 'linear' ? 1 : 0, PAD[pad], false, path);
  for (let g = 0; g < G; g++) {
    assert.equal(buf[g], -7.25, `${mode}/${pad} path ${path}: wrote before the output`);
    assert.equal(buf[G + len + g], -7.25, `${mode}/${pad} path ${path}: wrote past the output`);
  }
  return out.slice();
}

interface Case {
  name: string;
  s: Shape3;
  os: Shape3;
  xf: number[];
  rowAligned: boolean;
}
const rot = (a: number, sc: number, t: number[]): number[] => [
  sc * Math.cos(a),
  -sc * Math.sin(a),
  0,
  t[0],
  sc * Math.sin(a),
  sc * Math.cos(a),
  0,
  t[1],
  0,
  0,
  sc,
  t[2],
];
const cases: Case[] = [
  // Spacingd-like zoom, output reaching past the input end (rows end outside)
  { name: 'zoom 1.25 (diagonal)', s: [13, 17, 37], os: [11, 15, 33], xf: [1.25, 0, 0, 0.125, 0, 0.8, 0, -0.1, 0, 0, 1.25, 0.125], rowAligned: true },
  // zoom in (0.5: exact half-voxel coordinates, nearest ties) with rows starting outside
  {
    name: 'zoom 0.5, rows start and end outside',
    s: [9, 7, 21],
    os: [19, 15, 53],
    xf: [0.5, 0, 0, -0.25, 0, 0.5, 0, -0.25, 0, 0, 0.5, -3.5],
    rowAligned: true,
  },
  // the k axis reversed (m10 < 0) and a row of 1 and 5 voxels
  { name: 'k reversed', s: [8, 9, 19], os: [8, 9, 23], xf: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -0.9, 19.3], rowAligned: true },
  { name: 'rows of 1 voxel', s: [6, 7, 9], os: [7, 5, 1], xf: [0.9, 0, 0, 0.2, 0, 1.3, 0, -0.4, 0, 0, 1, 4.5], rowAligned: true },
  { name: 'rows of 5 voxels', s: [6, 7, 9], os: [7, 5, 5], xf: [0.9, 0, 0, 0.2, 0, 1.3, 0, -0.4, 0, 0, 1.7, -0.6], rowAligned: true },
  // fast-moving k (|m10| > 2: no single 16-float window) and an in-plane rotation
  { name: 'k step 2.6', s: [7, 8, 61], os: [6, 9, 29], xf: [1, 0, 0, 0.3, 0, 1, 0, 0, 0, 0, 2.6, -1.1], rowAligned: true },
  { name: 'rotation in (i, j) + zoom', s: [15, 14, 35], os: [13, 12, 29], xf: rot(0.2, 1.25, [3, -2, 1]), rowAligned: true },
  // z depending on i and j (m8, m9) with rows aligned in k
  { name: 'k shear from i, j', s: [10, 11, 27], os: [10, 11, 27], xf: [1, 0, 0, 0, 0, 1, 0, 0, 0.37, -0.21, 1, 0.4], rowAligned: true },
  // degenerate axes (size 1)
  { name: 'size-1 axes', s: [1, 5, 17], os: [2, 5, 19], xf: [0.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.9, 0.3], rowAligned: true },
  { name: 'size-1 k axis', s: [5, 6, 1], os: [5, 6, 3], xf: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.5, -0.5], rowAligned: true },
  // the input entirely before / after the output rows on some axis (empty interior spans)
  { name: 'far translation past the end', s: [5, 6, 7], os: [4, 5, 9], xf: [1, 0, 0, 40, 0, 1, 0, 0, 0, 0, 0.5, 30], rowAligned: true },
  { name: 'far translation before the start', s: [5, 6, 7], os: [4, 5, 9], xf: [1, 0, 0, -40, 0, 1, 0, 0, 0, 0, 0.5, -30], rowAligned: true },
  { name: 'general, far past the end', s: [5, 6, 7], os: [4, 5, 11], xf: [1, 0, 0.01, 40, 0, 1, 0.02, 50, 0, 0, 0.7, 60], rowAligned: false },
  // general: 3D rotation with translation far enough that some rows miss the input
  { name: '3D rotation', s: [13, 17, 29], os: [9, 20, 31], xf: [0.74, -0.3, 0.1, -1.7, 0.24, 0.76, 0.05, 2.2, 0.02, 0.1, 1.1, -1.3], rowAligned: false },
  { name: '3D rotation, k step > 2', s: [9, 9, 40], os: [8, 8, 17], xf: [1, 0.2, 0.15, -0.5, -0.1, 1, 0.3, 0.1, 0.05, 0, 2.3, -2], rowAligned: false },
];

for (const threads of [1, 2]) {
  for (const c of cases) {
    test(`resample paths, ${c.name}, ${threads} thread(s): every mode and padding equal the reference`, () => {
      N.setNumThreads(threads);
      const C = 2;
      const x = volume(7, C * c.s[0] * c.s[1] * c.s[2]);
      for (const mode of ['linear', 'nearest'] as const) {
        for (const pad of ['zeros', 'border', 'reflection'] as const) {
          const ref = resampleRef(x, C, c.s, c.os, c.xf, mode, pad);
          const auto = run(x, C, c.s, c.os, c.xf, mode, pad, 0);
          const general = run(x, C, c.s, c.os, c.xf, mode, pad, 2);
          const what = `${mode}/${pad}`;
          if (mode === 'nearest') {
            assert.deepEqual(auto, ref, `${what} auto path: ${firstDiff(auto, ref)}`);
            assert.deepEqual(general, ref, `${what} general path: ${firstDiff(general, ref)}`);
          } else {
            close(general, ref, `${what} general path`);
            // the row path sums the reference's terms in its order: bit-exact
            if (c.rowAligned) assert.deepEqual(auto, ref, `${what} row path: ${firstDiff(auto, ref)}`);
            else close(auto, ref, `${what} auto path`);
          }
        }
      }
    });
  }
}

test('resample: a large row-aligned volume (vector windows at line and volume ends) equals the reference', () => {
  N.setNumThreads(2);
  const s: Shape3 = [21, 19, 67],
    os: Shape3 = [17, 16, 54];
  const x = volume(11, s[0] * s[1] * s[2]);
  const xf = rot(-0.15, 1.25, [1.1, 0.7, 0.3]);
  for (const mode of ['linear', 'nearest'] as const) {
    const ref = resampleRef(x, 1, s, os, xf, mode, 'zeros');
    const got = run(x, 1, s, os, xf, mode, 'zeros', 0);
    assert.deepEqual(got, ref, `${mode}: ${firstDiff(got, ref)}`);
  }
});
