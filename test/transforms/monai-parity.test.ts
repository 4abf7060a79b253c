// Spacingd, ScaleIntensityRanged, CropForegroundd, Orientationd and RandFlipd (prob=1)
// against MONAI on the same input: live when python3 can import monai (the fixture
// script runs into a temp file), otherwise against the committed fixtures it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeFromConfig } from '../../src/transforms/build.js';
import type { Sample, Tensor, MetaDict } from '../../src/transforms/types.js';
import { setKernelBackend } from '../../src/transforms/kernels.js';
import { pythonHas } from '../helpers/python.js';
import { resampleRef } from '../../src/transforms/ops/resample.js';
import { voxelXform } from '../../src/transforms/geometry.js';

/** Nearest-neighbour outputs with every tie (x.5 input coordinate) broken each way: torch's
 * float32 grid arithmetic breaks exact ties by rounding noise, so a voxel may take either side. */
function tieAlternatives(c: Case, key: 'image' | 'label', want: Arr & { affine: number[][] }): Float32Array[] {
  const x = voxelXform(c.input.affine, want.affine);
  const inp = c.input[key];
  const out: Float32Array[] = [];
  for (let m = 0; m < 8; m++) {
    const xf = [...x];
    for (let d = 0; d < 3; d++) xf[d * 4 + 3] += (m & (1 << d) ? 1 : -1) * 1e-3;
    out.push(
      resampleRef(
        Float32Array.from(inp.data),
        inp.shape[0],
        inp.shape.slice(1) as [number, number, number],
        want.shape.slice(1) as [number, number, number],
        xf,
        'nearest',
        'border',
      ),
    );
  }
  return out;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const script = join(here, '..', 'fixtures', 'monai', 'make_transform_fixtures.py');

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  transform: string;
  args: Record<string, unknown>;
  input: { image: Arr; label: Arr; affine: number[][] };
  output: Record<string, Arr & { affine: number[][] }>;
}

function loadCases(): { cases: Case[]; source: string } {
  if (pythonHas('monai')) {
    const dir = mkdtempSync(join(tmpdir(), 'clara-monai-'));
    try {
      const out = join(dir, 'transforms.json');
      const r = spawnSync('python3', [script, out], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, `MONAI fixture script failed: ${r.stderr}`);
      return { cases: JSON.parse(readFileSync(out, 'utf8')).cases, source: 'live MONAI' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { cases: JSON.parse(readFileSync(join(here, '..', 'fixtures', 'monai', 'transforms.json'), 'utf8')).cases, source: 'committed fixtures' };
}

const { cases, source } = loadCases();

function meta(affine: number[][], shape: number[]): MetaDict {
  return { affine: affine.map((r) => [...r]), original_affine: affine, spatial_shape: shape.slice(1), pixdim: [1, 1, 1], filename_or_obj: 'synthetic' };
}

for (const backend of ['native', 'ts'] as const) {
  for (const c of cases) {
    test(`${c.name} matches MONAI (${source}, ${backend} kernels)`, async () => {
      setKernelBackend(backend);
      try {
        const name = c.transform === 'RandFlipd' ? 'RandFlipd' : c.transform;
        const t = composeFromConfig([{ name, args: c.args }], { file: 'monai-parity', path: 'case' });
        const s: Sample = {
          image: { data: Float32Array.from(c.input.image.data), shape: c.input.image.shape },
          label: { data: Float32Array.from(c.input.label.data), shape: c.input.label.shape },
          image_meta_dict: meta(c.input.affine, c.input.image.shape),
          label_meta_dict: meta(c.input.affine, c.input.label.shape),
        };
        const r = (await t.apply(s)) as Sample;
        for (const key of Object.keys(c.output)) {
          const want = c.output[key];
          const got = r[key] as Tensor;
          assert.deepEqual(got.shape, want.shape, `${key} shape`);
          const nearest = key === 'label' || c.transform !== 'Spacingd';
          const scale = Math.max(1, ...want.data.map(Math.abs));
          let bad = 0,
            ties = 0;
          const alts = c.transform === 'Spacingd' && key === 'label' ? tieAlternatives(c, key, want) : [];
          for (let i = 0; i < want.data.length; i++) {
            const d = Math.abs(got.data[i] - want.data[i]);
            if (nearest ? d !== 0 && d > 1e-6 * scale : d > 1e-4 * scale) {
              if (alts.some((a) => a[i] === want.data[i]) && alts.some((a) => a[i] === got.data[i])) ties++;
              else bad++;
            }
          }
          assert.ok(ties <= want.data.length / 10, `${key}: ${ties} tie-broken voxels`);
          assert.equal(bad, 0, `${key}: ${bad} of ${want.data.length} voxels differ`);
          const aff = (r[`${key}_meta_dict`] as MetaDict).affine;
          for (let i = 0; i < 4; i++)
            for (let j = 0; j < 4; j++)
              assert.ok(Math.abs(aff[i][j] - want.affine[i][j]) < 1e-5, `${key} affine[${i}][${j}] ${aff[i][j]} vs ${want.affine[i][j]}`);
        }
      } finally {
        setKernelBackend(undefined);
      }
    });
  }
}
