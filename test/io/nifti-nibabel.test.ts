// Our reader and writer against nibabel: real mricron templates, and files we write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/random.js';
import { encodeNifti, readNifti, writeNifti } from '../../src/io/nifti/index.js';
import type { Affine, VoxelArray } from '../../src/io/volume.js';
import { ALL_DTYPES, MRICRON, NIBABEL_WRITE, maxAbsDiff, mricronMissing, nibabelMissing, nibabelView, randomData, tempDir } from './helpers.js';

const sha = (a: VoxelArray) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

function stats(a: Float64Array): { min: number; max: number; mean: number } {
  let min = Infinity,
    max = -Infinity,
    sum = 0;
  for (const v of a) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / a.length };
}

test('every mricron template reads as nibabel reads it', { skip: nibabelMissing() ?? mricronMissing() }, async () => {
  const files = readdirSync(MRICRON)
    .filter((f) => f.endsWith('.nii.gz'))
    .sort()
    .map((f) => join(MRICRON, f));
  assert.ok(files.length >= 10, `expected the mricron templates, found ${files.length}`);
  const views = nibabelView(files);
  for (const nb of views) {
    const img = await readNifti(nb.file);
    assert.deepEqual(img.shape, nb.shape, nb.file);
    assert.equal(img.dtype, nb.dtype, nb.file);
    assert.ok(maxAbsDiff(img.affine, nb.affine) < 1e-5, `${nb.file}: affine ${JSON.stringify(img.affine)} vs ${JSON.stringify(nb.affine)}`);
    assert.equal(sha(img.data), nb.sha256, `${nb.file}: stored data checksum`);
    const s = stats(img.scaled64());
    assert.equal(s.min, nb.min, nb.file);
    assert.equal(s.max, nb.max, nb.file);
    assert.ok(Math.abs(s.mean - nb.mean!) <= 1e-9 * Math.max(1, Math.abs(nb.mean!)), `${nb.file}: mean ${s.mean} vs ${nb.mean}`);
    assert.deepEqual(
      img.pixdim.map((v) => Math.fround(v)),
      nb.zooms.map((v) => Math.fround(v)),
      nb.file,
    );
  }
});

test('files we write read back in nibabel unchanged (every dtype, both byte orders, NIfTI-1/2, .nii/.nii.gz)', { skip: nibabelMissing() }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rng = new Rng(42);
    const affines: Affine[] = [
      [
        [-1.2, 0, 0, 90],
        [0, 1.2, 0, -126],
        [0, 0, 2, -72],
        [0, 0, 0, 1],
      ],
      [
        [0.8, -0.3, 0.1, 12.5],
        [0.3, 0.9, -0.05, -40],
        [-0.1, 0.05, 2.2, 3],
        [0, 0, 0, 1],
      ], // rotation + zooms
      [
        [1, 0.4, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ], // shear: sform exact, qform stripped
    ];
    const written: { file: string; data: VoxelArray; shape: number[]; affine: Affine; version: number }[] = [];
    let idx = 0;
    for (const dtype of ALL_DTYPES) {
      for (const littleEndian of [true, false]) {
        for (const version of [1, 2] as const) {
          const shape = idx % 3 === 0 ? [7, 5, 3, 2] : [9, 6, 4];
          const n = shape.reduce((a, b) => a * b, 1);
          const data = randomData(dtype, n, rng);
          const affine = affines[idx % affines.length];
          const file = join(dir, `${dtype}-${littleEndian ? 'le' : 'be'}-v${version}.nii`);
          writeFileSync(file, encodeNifti({ data, shape, affine }, { littleEndian, version }));
          written.push({ file, data, shape, affine, version });
          idx++;
        }
      }
      const file = join(dir, `${dtype}.nii.gz`);
      const data = randomData(dtype, 24, rng);
      await writeNifti(file, { data, shape: [2, 3, 4], affine: affines[1] });
      written.push({ file, data, shape: [2, 3, 4], affine: affines[1], version: 1 });
    }
    const views = nibabelView(written.map((w) => w.file));
    for (const [i, nb] of views.entries()) {
      const w = written[i];
      assert.equal(nb.version, w.version, nb.file);
      assert.deepEqual(nb.shape, w.shape, nb.file);
      assert.equal(nb.sha256, sha(w.data), `${nb.file}: data as nibabel reads it`);
      assert.equal(nb.sform_code, 1, nb.file);
      assert.equal(nb.qform_code, 1, nb.file);
      assert.ok(maxAbsDiff(nb.affine, w.affine) < 1e-5, `${nb.file}: nibabel affine ${JSON.stringify(nb.affine)}`);
      // and our reader agrees with nibabel on the same file
      const img = await readNifti(nb.file);
      assert.equal(img.dtype, nb.dtype);
      assert.ok(maxAbsDiff(img.affine, nb.affine) < 1e-9);
    }
  } finally {
    cleanup();
  }
});

test("qform written for an orthogonal affine matches nibabel's qform", { skip: nibabelMissing() }, async () => {
  // sform_code 0 → nibabel's affine comes from our quaternion
  const { dir, cleanup } = tempDir();
  try {
    const c = Math.cos(0.3),
      s = Math.sin(0.3);
    const affines: Affine[] = [
      [
        [c * 1.5, -s * 2, 0, 10],
        [s * 1.5, c * 2, 0, -20],
        [0, 0, 3, 30],
        [0, 0, 0, 1],
      ],
      [
        [-c * 1.5, -s * 2, 0, 10],
        [-s * 1.5, c * 2, 0, -20],
        [0, 0, -3, 30],
        [0, 0, 0, 1],
      ],
      [
        [0, 0, -1, 1],
        [0, -1, 0, 2],
        [-1, 0, 0, 3],
        [0, 0, 0, 1],
      ], // 180° turns: trace ≤ 0 branches
      [
        [-1, 0, 0, 0],
        [0, -1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
    ];
    const files = affines.map((affine, i) => {
      const file = join(dir, `q${i}.nii`);
      writeFileSync(file, encodeNifti({ data: new Uint8Array(8), shape: [2, 2, 2], affine }, { sformCode: 0, qformCode: 1 }));
      return file;
    });
    for (const [i, nb] of nibabelView(files).entries()) {
      assert.ok(maxAbsDiff(nb.affine, affines[i]) < 1e-5, `${nb.file}: ${JSON.stringify(nb.affine)}`);
      const img = await readNifti(nb.file);
      assert.equal(img.affineSource, 'qform');
      assert.ok(maxAbsDiff(img.affine, nb.affine) < 1e-9);
    }
  } finally {
    cleanup();
  }
});

test('with sform_code = qform_code = 0 both fall back to the same base affine', { skip: nibabelMissing() }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files: string[] = [];
    for (const shape of [
      [5, 4, 3],
      [6, 2],
      [4, 3, 2, 5],
    ]) {
      const file = join(dir, `b${shape.length}.nii`);
      const n = shape.reduce((a, b) => a * b, 1);
      writeFileSync(
        file,
        encodeNifti(
          {
            data: new Int16Array(n),
            shape,
            affine: [
              [0, 2, 0, 5],
              [1.5, 0, 0, 1],
              [0, 0, 3, 1],
              [0, 0, 0, 1],
            ],
          },
          { sformCode: 0, qformCode: 0 },
        ),
      );
      files.push(file);
    }
    for (const nb of nibabelView(files)) {
      const img = await readNifti(nb.file);
      assert.equal(img.affineSource, 'pixdim');
      assert.ok(maxAbsDiff(img.affine, nb.affine) < 1e-9, `${nb.file}: ${JSON.stringify(img.affine)} vs ${JSON.stringify(nb.affine)}`);
    }
  } finally {
    cleanup();
  }
});

test('files nibabel writes (NIfTI-2, big-endian, scaled, qform-only, pixdim-only) read as nibabel reads them', { skip: nibabelMissing() }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = spawnSync('python3', [NIBABEL_WRITE, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = r.stdout.trim().split('\n');
    assert.equal(files.length, 8);
    const sources = new Set<string>();
    for (const nb of nibabelView(files)) {
      const img = await readNifti(nb.file);
      sources.add(img.affineSource);
      assert.equal(img.header.version, nb.version, nb.file);
      assert.deepEqual(img.shape, nb.shape, nb.file);
      assert.equal(img.dtype, nb.dtype, nb.file);
      assert.ok(maxAbsDiff(img.affine, nb.affine) < 1e-9, `${nb.file}: ${JSON.stringify(img.affine)} vs ${JSON.stringify(nb.affine)}`);
      assert.equal(sha(img.data), nb.sha256, nb.file);
      const st = stats(img.scaled64());
      assert.equal(st.min, nb.min, nb.file);
      assert.equal(st.max, nb.max, nb.file);
      assert.ok(Math.abs(st.mean - nb.mean!) <= 1e-9 * Math.max(1, Math.abs(nb.mean!)), nb.file);
    }
    assert.deepEqual([...sources].sort(), ['pixdim', 'qform', 'sform']);
  } finally {
    cleanup();
  }
});
