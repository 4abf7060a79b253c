// The vectorized label and element-wise kernels against their plain-TypeScript references:
// fg/bg indices (mask compress-store, chunked), bounding box (vector row scan), one-hot (one
// pass), and the streaming-store paths of intensity, normalize, one-hot and flip (outputs of
// 4 MiB and more, aligned and misaligned). Odd lengths, empty and full masks, several
// channels, thresholds that are not floats, 1 and 2 threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { native } from '../../src/native/index.js';
import type { Shape3 } from '../../src/native/transforms.js';
import { Rng } from '../../src/util/random.js';
import { boundingBoxRef, fgBgIndicesRef, oneHotRef } from '../../src/transforms/ops/label.js';
import { affineIntensityRef, momentsRef, normalizeRef } from '../../src/transforms/ops/intensity.js';
import { flipRef } from '../../src/transforms/ops/spatial.js';

const N = native();
const T = N.transforms;
const threadsBefore = N.info().threads;
after(() => {
  N.setNumThreads(threadsBefore);
});

function close(a: Float32Array, b: Float32Array, what: string, rel = 1e-5): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = rel * Math.max(1, Math.abs(b[i]));
    if (!(Math.abs(a[i] - b[i]) <= tol) && !(Number.isNaN(a[i]) && Number.isNaN(b[i])))
      assert.fail(`${what}: element ${i}: native ${a[i]} vs reference ${b[i]}`);
  }
}
/** A Float32Array of n elements starting `offset` floats into its buffer (misaligned when offset % 16 != 0). */
function at(offset: number, n: number): Float32Array {
  return new Float32Array(new ArrayBuffer(4 * (n + offset)), 4 * offset, n);
}

const f01 = Math.fround(0.1); // > 0.1: above a threshold of 0.1

for (const threads of [1, 2]) {
  test(`fg/bg indices equal the reference: odd sizes, several chunks, channels, empty and full masks (${threads} thread(s))`, async () => {
    N.setNumThreads(threads);
    const r = new Rng(3 + threads);
    for (const sp of [1, 15, 17, 1000, 70001]) {
      const lab2 = Float32Array.from({ length: 2 * sp }, () => (r.random() < 0.1 ? 1 : r.random() < 0.05 ? -1 : 0));
      const img2 = Float32Array.from({ length: 2 * sp }, () => [0, 0.1, f01, -3, 7][Math.floor(r.random() * 5)]);
      const empty = new Float32Array(sp),
        full = new Float32Array(sp).fill(2);
      const cases: [Float32Array, number, Float32Array | null, number, number][] = [
        [lab2, 2, img2, 2, 0.1],
        [lab2, 1, img2, 1, 0],
        [lab2, 2, null, 0, 0],
        [empty, 1, img2, 2, -1],
        [empty, 1, null, 0, 0],
        [full, 1, img2, 1, 0],
        [lab2.subarray(0, sp), 1, img2, 2, 1e40],
        [lab2.subarray(0, sp), 1, img2, 1, -1e40],
      ];
      for (const [label, lc, image, ic, thr] of cases) {
        const ref = fgBgIndicesRef(label, lc, image, ic, sp, thr);
        for (const async of [false, true]) {
          const got = await T.fgBgIndices(label, lc, image, ic, sp, thr, async);
          assert.deepEqual(got.fg, ref.fg, `fg sp=${sp} lc=${lc} ic=${ic} thr=${thr}`);
          assert.deepEqual(got.bg, ref.bg, `bg sp=${sp} lc=${lc} ic=${ic} thr=${thr}`);
        }
      }
    }
  });

  test(`bounding box equals the reference: odd row lengths, hits at row ends, empty and full (${threads} thread(s))`, () => {
    N.setNumThreads(threads);
    const r = new Rng(9);
    for (const shape of [
      [3, 4, 5],
      [5, 3, 16],
      [4, 6, 17],
      [7, 5, 37],
      [2, 3, 64],
    ] as Shape3[]) {
      const sp = shape[0] * shape[1] * shape[2];
      for (const C of [1, 2]) {
        const vols: Float32Array[] = [];
        vols.push(new Float32Array(C * sp)); // empty
        vols.push(new Float32Array(C * sp).fill(1)); // full
        const ends = new Float32Array(C * sp);
        ends[(1 * shape[1] + 2) * shape[2] + 0] = 1; // k = 0
        ends[(C - 1) * sp + ((shape[0] - 1) * shape[1] + 1) * shape[2] + shape[2] - 1] = 1; // k = nk-1
        vols.push(ends);
        const single = new Float32Array(C * sp);
        single[(C - 1) * sp + Math.floor(sp / 2)] = f01;
        vols.push(single);
        vols.push(Float32Array.from({ length: C * sp }, () => (r.random() < 0.03 ? r.uniform(-1, 1) : 0)));
        for (const v of vols)
          for (const thr of [0, 0.1, -0.5]) {
            assert.deepEqual(T.boundingBox(v, C, shape, thr), boundingBoxRef(v, C, shape, thr), `shape ${shape} C=${C} thr=${thr}`);
          }
      }
    }
  });

  test(`one-hot equals the reference, small and streamed, aligned and misaligned (${threads} thread(s))`, async () => {
    N.setNumThreads(threads);
    const r = new Rng(4);
    for (const [sp, n] of [
      [1, 1],
      [17, 3],
      [1000, 4],
      [400_003, 3],
    ]) {
      const lab = Float32Array.from({ length: sp }, () => [0, 1, 2, 3, -0, 0.5, -1, Number.NaN, 1e9][Math.floor(r.random() * 9)]);
      const ref = oneHotRef(lab, sp, n);
      for (const offset of [0, 3]) {
        const out = at(offset, sp * n).fill(7);
        await T.oneHot(lab, out, sp, n, sp > 1000);
        assert.deepEqual(out, ref, `sp=${sp} n=${n} offset=${offset}`);
        // into a fresh (zero) output: only the ones are written
        const zero = at(offset, sp * n);
        await T.oneHot(lab, zero, sp, n, sp > 1000, true);
        assert.deepEqual(zero, ref, `zeroed sp=${sp} n=${n} offset=${offset}`);
      }
    }
  });

  test(`moments (vector accumulators, masked for nonzero) equal the reference in double (${threads} thread(s))`, () => {
    N.setNumThreads(threads);
    const r = new Rng(12);
    for (const n of [1, 31, 33, 1000, 70_001, 300_007]) {
      // a large mean with a small spread: a float accumulation would lose the variance
      const x = Float32Array.from({ length: n }, () => (r.random() < 0.3 ? 0 : r.uniform(1020, 1030)));
      for (const nz of [false, true]) {
        const got = T.moments(x, nz),
          ref = momentsRef(x, nz);
        assert.equal(got[2], ref[2], `count n=${n} nonzero=${nz}`);
        for (const i of [0, 1])
          assert.ok(Math.abs(got[i] - ref[i]) <= 1e-12 * Math.abs(ref[i]) + 1e-9, `moment ${i} n=${n} nonzero=${nz}: ${got[i]} vs ${ref[i]}`);
        const mean = got[0] / got[2],
          rmean = ref[0] / ref[2];
        assert.ok(Math.abs(got[1] / got[2] - mean * mean - (ref[1] / ref[2] - rmean * rmean)) < 1e-6, 'variance');
      }
    }
  });

  test(`intensity, normalize and flip equal the reference on streamed (>= 4 MiB) outputs (${threads} thread(s))`, async () => {
    N.setNumThreads(threads);
    const r = new Rng(8);
    const n = (1 << 20) + 13;
    const x = Float32Array.from({ length: n }, () => (r.random() < 0.2 ? 0 : r.uniform(-200, 400)));
    for (const offset of [0, 5]) {
      for (const clip of [false, true]) {
        const out = at(offset, n);
        await T.affineIntensity(x, out, 1 / 221, 57 / 221, clip, 0, 1, true);
        close(out, affineIntensityRef(x, 1 / 221, 57 / 221, clip, 0, 1), `affine clip=${clip} offset=${offset}`);
      }
      for (const nz of [false, true]) {
        const out = at(offset, n);
        await T.normalize(x, out, 12.5, 1 / 80, nz, true);
        close(out, normalizeRef(x, 12.5, 1 / 80, nz), `normalize nonzero=${nz} offset=${offset}`);
      }
    }
    // flip: rows of whole 64-byte lines (streamed) and odd rows (not)
    for (const shape of [
      [16, 16, 4096],
      [9, 11, 17],
      [64, 130, 129],
    ] as Shape3[]) {
      const sp = shape[0] * shape[1] * shape[2];
      const v = Float32Array.from({ length: sp }, (_, i) => i);
      for (const mask of [1, 4, 5, 7]) {
        const out = new Float32Array(sp);
        await T.flip(v, out, 1, shape, mask, true);
        assert.deepEqual(out, flipRef(v, 1, shape, mask), `flip ${shape} mask ${mask}`);
      }
    }
  });
}
