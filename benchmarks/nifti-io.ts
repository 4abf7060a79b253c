// NIfTI I/O speed: the Fortran→C transpose on 256³ volumes (blocked vs naive loop),
// reading a real .nii.gz (vs nibabel + a C-order copy), writing .nii/.nii.gz.
// Usage: npm run bench -- nifti-io [reps]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fortranToC, readNifti, writeNifti, typedArrayFor } from '../src/io/nifti/index.js';
import type { DType, VoxelArray } from '../src/io/volume.js';
import { printTable, timeMedian, writeResults, type Figure } from './lib/results.js';

const reps = Number(process.argv[2] ?? 3);
const figures: Figure[] = [];
const rows: Record<string, string | number>[] = [];
const add = (name: string, seconds: number, extra: Record<string, string | number> = {}) => {
  figures.push({ name, value: seconds * 1e3, unit: 'ms', ...extra });
  rows.push({ figure: name, ms: seconds * 1e3, ...extra });
};

function naive(src: VoxelArray, dst: VoxelArray, [n0, n1, n2]: number[]): void {
  let o = 0;
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) for (let k = 0; k < n2; k++) dst[o++] = src[i + n0 * (j + n1 * k)];
}

const shape = [256, 256, 256];
const n = 256 ** 3;
for (const dtype of ['uint8', 'int16', 'float32'] as DType[]) {
  const src = typedArrayFor(dtype, n);
  for (let i = 0; i < n; i++) src[i] = i & 127;
  const dst = typedArrayFor(dtype, n);
  const tb = await timeMedian(() => fortranToC(src, dst, shape), reps);
  const tn = await timeMedian(() => naive(src, dst, shape), reps);
  add(`transpose 256^3 ${dtype} blocked`, tb, { voxelsPerSec: Math.round(n / tb) });
  add(`transpose 256^3 ${dtype} naive`, tn, { voxelsPerSec: Math.round(n / tn) });
}

const real = '/usr/share/mricron/templates/ch2better.nii.gz';
if (existsSync(real)) {
  const img = await readNifti(real);
  const t = await timeMedian(() => readNifti(real), reps);
  add(`readNifti ch2better.nii.gz (${img.shape.join('x')} ${img.dtype})`, t);
  const py = spawnSync(
    'python3',
    [
      '-c',
      `
import time, nibabel as nib, numpy as np
ts = []
for _ in range(${reps + 1}):
    t = time.perf_counter(); a = np.ascontiguousarray(np.asanyarray(nib.load('${real}').dataobj)); ts.append(time.perf_counter() - t)
print(sorted(ts[1:])[len(ts[1:]) // 2])
`,
    ],
    { encoding: 'utf8' },
  );
  if (py.status === 0) add('nibabel load + C-order copy, same file', Number(py.stdout.trim()));
  const dir = mkdtempSync(join(tmpdir(), 'bench-nifti-'));
  try {
    add('writeNifti .nii (same volume)', await timeMedian(() => writeNifti(join(dir, 'o.nii'), img), reps));
    add('writeNifti .nii.gz level 6 (same volume)', await timeMedian(() => writeNifti(join(dir, 'o.nii.gz'), img), reps));
    add('writeNifti .nii.gz level 1 (same volume)', await timeMedian(() => writeNifti(join(dir, 'o.nii.gz'), img, { gzipLevel: 1 }), reps));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

printTable(rows);
writeResults('nifti-io', figures, { reps });
