// Shared test helpers for io: python/nibabel availability and random volumes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/util/random.js';
import type { DType, VoxelArray } from '../../src/io/volume.js';
import { typedArrayFor } from '../../src/io/nifti/index.js';

export const ALL_DTYPES: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
export const MRICRON = '/usr/share/mricron/templates';
export const NIBABEL_WRITE = fileURLToPath(new URL('./fixtures/nibabel_write.py', import.meta.url));
export const NIBABEL_VIEW = fileURLToPath(new URL('./fixtures/nibabel_view.py', import.meta.url));

let nibabelOk: boolean | undefined;
/** Skip reason when nibabel is missing, or undefined when present. Under CI=true a missing nibabel throws. */
export function nibabelMissing(): string | undefined {
  if (nibabelOk === undefined) {
    const r = spawnSync('python3', ['-c', 'import nibabel'], { encoding: 'utf8' });
    nibabelOk = r.status === 0;
  }
  if (nibabelOk) return undefined;
  if (process.env.CI === 'true') throw new Error('CI=true but python3 cannot import nibabel (pip install nibabel)');
  return 'python3 nibabel is not installed (pip install nibabel)';
}

export function mricronMissing(): string | undefined {
  if (existsSync(MRICRON)) return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${MRICRON} is missing (apt-get install mricron-data)`);
  return `${MRICRON} is missing (apt-get install mricron-data)`;
}

export interface NibabelView {
  file: string;
  version: number;
  shape: number[];
  dtype: string;
  affine: number[][];
  sform_code: number;
  qform_code: number;
  slope: number | null;
  inter: number | null;
  sha256: string;
  min: number | null;
  max: number | null;
  mean: number | null;
  zooms: number[];
  descrip: string;
}

/** nibabel's view of each file (one python process for all). */
export function nibabelView(files: string[]): NibabelView[] {
  const r = spawnSync('python3', [NIBABEL_VIEW, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`nibabel_view.py failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as NibabelView);
}

export function randomData(dtype: DType, n: number, rng: Rng): VoxelArray {
  const a = typedArrayFor(dtype, n);
  const ranges: Record<DType, [number, number]> = {
    uint8: [0, 256],
    int8: [-128, 128],
    uint16: [0, 65536],
    int16: [-32768, 32768],
    uint32: [0, 2 ** 32],
    int32: [-(2 ** 31), 2 ** 31],
    float32: [-1e6, 1e6],
    float64: [-1e12, 1e12],
  };
  const [lo, hi] = ranges[dtype];
  for (let i = 0; i < n; i++) a[i] = dtype.startsWith('float') ? rng.uniform(lo, hi) : Math.floor(rng.uniform(lo, hi));
  return a;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'clara-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) m = Math.max(m, Math.abs(a[r][c] - b[r][c]));
  return m;
}
