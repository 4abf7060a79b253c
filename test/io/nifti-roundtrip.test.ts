import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Rng } from '../../src/util/random.js';
import { readNifti, readNiftiSync, writeNifti, writeNiftiSync, encodeNifti, fortranToC, cToFortran } from '../../src/io/nifti/index.js';
import type { Affine } from '../../src/io/volume.js';
import { ALL_DTYPES, maxAbsDiff, randomData, tempDir } from './helpers.js';

const AFFINE: Affine = [
  [-0.9, 0.1, 0, 91.5],
  [0.05, 1.1, 0.2, -126],
  [0, -0.2, 2.5, -72.25],
  [0, 0, 0, 1],
];

test('F→C transpose matches the index formula for ranks 1..5', () => {
  for (const shape of [[7], [5, 3], [3, 4, 5], [33, 2, 40], [2, 3, 4, 5], [2, 1, 3, 2, 2], [1, 1, 6]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const f = Float64Array.from({ length: n }, (_, i) => i);
    const c = fortranToC(f, new Float64Array(n), shape);
    // element with multi-index idx: F index = sum idx[a]*prod(shape[<a]), C index = sum idx[a]*prod(shape[>a])
    for (let ci = 0; ci < n; ci++) {
      let rem = ci,
        fi = 0;
      const idx = new Array(shape.length);
      for (let a = shape.length - 1; a >= 0; a--) {
        idx[a] = rem % shape[a];
        rem = Math.floor(rem / shape[a]);
      }
      let stride = 1;
      for (let a = 0; a < shape.length; a++) {
        fi += idx[a] * stride;
        stride *= shape[a];
      }
      assert.equal(c[ci], fi, `shape ${shape} C index ${ci}`);
    }
    assert.deepEqual(cToFortran(c, new Float64Array(n), shape), f);
  }
});

for (const version of [1, 2] as const) {
  for (const littleEndian of [true, false]) {
    test(`round trip every dtype, NIfTI-${version}, ${littleEndian ? 'little' : 'big'}-endian`, () => {
      const rng = new Rng(version * 10 + (littleEndian ? 1 : 0));
      const { dir, cleanup } = tempDir();
      try {
        for (const dtype of ALL_DTYPES) {
          const shape = [5, 4, 3];
          const data = randomData(dtype, 60, rng);
          const file = join(dir, `${dtype}.nii`);
          writeFileSync(file, encodeNifti({ data, shape, affine: AFFINE }, { littleEndian, version, description: `rt ${dtype}` }));
          const img = readNiftiSync(file);
          assert.equal(img.header.version, version);
          assert.equal(img.header.littleEndian, littleEndian);
          assert.equal(img.dtype, dtype);
          assert.deepEqual(img.shape, shape);
          assert.deepEqual(Array.from(img.data), Array.from(data));
          assert.equal(img.affineSource, 'sform');
          assert.ok(maxAbsDiff(img.affine, AFFINE) < 1e-5, `affine ${JSON.stringify(img.affine)}`);
          assert.equal(img.header.descrip, `rt ${dtype}`);
          assert.equal(img.isScaled, false);
        }
      } finally {
        cleanup();
      }
    });
  }
}

test('writeNifti .nii.gz round trip, 4-D, async; no temp files left behind', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(3);
    const shape = [6, 5, 4, 3];
    const data = randomData('float32', 360, rng);
    const file = join(dir, 'v.nii.gz');
    await writeNifti(file, { data, shape, affine: AFFINE });
    assert.equal(readFileSync(file)[0], 0x1f);
    const img = await readNifti(file);
    assert.deepEqual(img.shape, shape);
    assert.deepEqual(img.data, data);
    assert.deepEqual(readdirSync(dir), ['v.nii.gz']);
    // the on-disk voxel order is Fortran: the first voxels step along i
    const raw = gunzipSync(readFileSync(file));
    const first = new Float32Array(raw.buffer.slice(raw.byteOffset + 352, raw.byteOffset + 352 + 8));
    assert.equal(first[0], data[0]);
    assert.equal(first[1], data[5 * 4 * 3]); // (i=1, j=0, k=0, t=0) in C order
  } finally {
    cleanup();
  }
});

test('dtype conversion on write rounds and range-checks', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'c.nii');
    writeNiftiSync(file, { data: Float32Array.from([0.4, 1.6, 2.5, 255]), shape: [4], affine: AFFINE }, { dtype: 'uint8' });
    assert.deepEqual(Array.from(readNiftiSync(file).data), [0, 2, 3, 255]);
    writeNiftiSync(file, { data: Float64Array.from([-2.5, -0.4, 32767]), shape: [3], affine: AFFINE }, { dtype: 'int16' });
    assert.deepEqual(Array.from(readNiftiSync(file).data), [-3, 0, 32767]);
    assert.equal(readNiftiSync(file).dtype, 'int16');
    assert.throws(
      () => writeNiftiSync(file, { data: Float32Array.from([256]), shape: [1], affine: AFFINE }, { dtype: 'uint8' }),
      /value 256 at index 0 does not fit uint8/,
    );
  } finally {
    cleanup();
  }
});

test('scaling: applied like nibabel, disabled by slope 0 / NaN', () => {
  const { dir, cleanup } = tempDir();
  try {
    const data = Int16Array.from([0, 1, -3, 1000]);
    const cases: [number, number, number[]][] = [
      [2, 0.5, [0.5, 2.5, -5.5, 2000.5]],
      [0, 7, [0, 1, -3, 1000]],
      [NaN, 7, [0, 1, -3, 1000]],
      [1, 0, [0, 1, -3, 1000]],
    ];
    for (const [slope, inter, expect] of cases) {
      const file = join(dir, 's.nii');
      writeNiftiSync(file, { data, shape: [4], affine: AFFINE }, { sclSlope: slope, sclInter: inter });
      const img = readNiftiSync(file);
      assert.deepEqual(Array.from(img.scaled()), expect, `slope ${slope} inter ${inter}`);
      assert.deepEqual(Array.from(img.scaled64()), expect);
      assert.deepEqual(Array.from(img.data), Array.from(data));
      assert.equal(img.isScaled, slope === 2);
    }
    const file = join(dir, 'bad.nii');
    writeNiftiSync(file, { data, shape: [4], affine: AFFINE }, { sclSlope: 2, sclInter: Infinity });
    assert.throws(() => readNiftiSync(file), /scl_slope 2 is valid but scl_inter is Infinity/);
  } finally {
    cleanup();
  }
});

test('affine falls back to qform, then to the pixdim base affine (nibabel rules)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const rot: Affine = [
      [0, -2, 0, 10],
      [1.5, 0, 0, -5],
      [0, 0, -3, 7],
      [0, 0, 0, 1],
    ]; // det < 0 → qfac -1
    const data = new Uint8Array(2 * 3 * 4);
    const file = join(dir, 'q.nii');
    writeNiftiSync(file, { data, shape: [2, 3, 4], affine: rot }, { sformCode: 0, qformCode: 1 });
    const q = readNiftiSync(file);
    assert.equal(q.affineSource, 'qform');
    assert.equal(q.header.pixdim[0], -1);
    assert.ok(maxAbsDiff(q.affine, rot) < 1e-6, JSON.stringify(q.affine));
    writeNiftiSync(file, { data, shape: [2, 3, 4], affine: rot }, { sformCode: 0, qformCode: 0 });
    const p = readNiftiSync(file);
    assert.equal(p.affineSource, 'pixdim');
    // zooms are the column norms (1.5, 2, 3); x flipped, origin at the centre
    assert.deepEqual(p.affine, [
      [-1.5, 0, 0, 0.75],
      [0, 2, 0, -2],
      [0, 0, 3, -4.5],
      [0, 0, 0, 1],
    ]);
    assert.deepEqual(p.pixdim, [1.5, 2, 3]);
  } finally {
    cleanup();
  }
});

test('data after an extension block at an unaligned vox_offset, both byte orders', () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const littleEndian of [true, false]) {
      const data = Float64Array.from({ length: 24 }, (_, i) => i * 1.25 - 7);
      const b = encodeNifti({ data, shape: [2, 3, 4], affine: AFFINE }, { littleEndian });
      const pad = 21; // extension bytes; 352 + 21 = 373 is not a multiple of 8
      const out = new Uint8Array(b.length + pad);
      out.set(b.subarray(0, 352));
      out[348] = 1; // extension flag
      out.set(b.subarray(352), 352 + pad);
      new DataView(out.buffer).setFloat32(108, 352 + pad, littleEndian);
      const file = join(dir, `ext-${littleEndian}.nii`);
      writeFileSync(file, out);
      const img = readNiftiSync(file);
      assert.deepEqual(img.data, data);
    }
  } finally {
    cleanup();
  }
});
