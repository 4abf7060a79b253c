// `clara-train nifti info` through the real bin (dist is built first when stale).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNiftiSync } from '../../src/io/nifti/index.js';
import { tempDir } from '../io/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'clara-train.js');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** True when some src file is newer than its dist output (or the output is missing). */
function distStale(): boolean {
  return walk(join(ROOT, 'src')).some((src) => {
    const out = join(ROOT, 'dist', relative(join(ROOT, 'src'), src)).replace(/\.ts$/, '.js');
    return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
  });
}

before(() => {
  if (distStale()) {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `build failed: ${r.stdout}${r.stderr}`);
  }
});

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('nifti info --json reports header, affine source, scaling and scaled stats', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'v.nii.gz');
    const data = Int16Array.from({ length: 4 * 3 * 2 }, (_, i) => i - 5);
    const affine = [
      [-2, 0, 0, 10],
      [0, 2.5, 0, -20],
      [0, 0, 3, 30],
      [0, 0, 0, 1],
    ];
    writeNiftiSync(file, { data, shape: [4, 3, 2], affine }, { sclSlope: 0.5, sclInter: 1, description: 'cli test' });
    const r = run('nifti', 'info', file, '--json');
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.format, 'NIfTI-1');
    assert.equal(info.gzip, true);
    assert.equal(info.byteOrder, 'little');
    assert.deepEqual(info.shape, [4, 3, 2]);
    assert.equal(info.dtype, 'int16');
    assert.equal(info.datatypeCode, 4);
    assert.deepEqual(info.voxelSize, [2, 2.5, 3]);
    assert.deepEqual(info.affine, affine);
    assert.equal(info.affineSource, 'sform');
    assert.equal(info.sformCode, 1);
    assert.equal(info.qformCode, 1);
    assert.equal(info.sclSlope, 0.5);
    assert.equal(info.sclInter, 1);
    assert.equal(info.scaled, true);
    assert.equal(info.min, -5 * 0.5 + 1);
    assert.equal(info.max, 18 * 0.5 + 1);
    assert.equal(info.mean, 6.5 * 0.5 + 1);
    assert.equal(info.description, 'cli test');

    const t = run('nifti', 'info', file);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /dims +4 x 3 x 2/);
    assert.match(t.stdout, /datatype +int16 \(code 4\)/);
    assert.match(t.stdout, /voxel size +2 x 2\.5 x 3 mm/);
    assert.match(t.stdout, /affine +from sform \(sform_code 1, qform_code 1\)|affine +from sform +\(sform_code 1, qform_code 1\)/);
    assert.match(t.stdout, /scaled data +min -1\.5 +max 10 +mean 4\.25/);
  } finally {
    cleanup();
  }
});

test('nifti info on a bad file exits 1 naming the file and the problem', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'bad.nii');
    writeFileSync(file, 'not a nifti file at all, just some text');
    const r = run('nifti', 'info', file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`error: ${file}: .*not a NIfTI file: sizeof_hdr`));
    assert.equal(r.stdout, '');
  } finally {
    cleanup();
  }
});

test('nifti is listed in --help', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /nifti +NIfTI file tools/);
});
