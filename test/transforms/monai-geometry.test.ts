// The geometry transforms against MONAI on the same input: data (1e-5 of the data range for
// bilinear, exact for nearest and the index-only transforms), the meta affine (1e-6) and
// spatial_shape. Live when python3 can import monai (the fixture script runs into a temp
// dir), otherwise against the committed test/fixtures/monai/geometry.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFromConfig } from '../../src/transforms/build.js';
import type { MetaDict, Sample, Tensor } from '../../src/transforms/types.js';
import { setKernelBackend } from '../../src/transforms/kernels.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';
import { resampleRef, type PaddingMode } from '../../src/transforms/ops/resample.js';
import { voxelXform } from '../../src/transforms/geometry.js';

/** Nearest outputs with every exact tie (an x.5 input coordinate) broken each way: torch's float32
 * grid arithmetic breaks such ties by rounding noise. The voxel map is inv(input affine) · output
 * affine (every transform here updates the affine by exactly its voxel map). */
function tieAlternatives(c: Case, key: 'image' | 'label', i: number, gotAffine: number[][], outShape: number[]): Float32Array[] {
  const x = voxelXform(c.input.affine, gotAffine);
  const inp = c.input[key];
  const pm = c.args.padding_mode;
  const padding = ((Array.isArray(pm) ? pm[i] : pm) ?? (c.transform === 'Spacingd' ? 'border' : 'reflection')) as PaddingMode;
  const out: Float32Array[] = [];
  for (let m = 0; m < 8; m++) {
    const xf = [...x];
    for (let d = 0; d < 3; d++) xf[d * 4 + 3] += (m & (1 << d) ? 1 : -1) * 1e-3;
    out.push(
      resampleRef(
        Float32Array.from(inp.data),
        inp.shape[0],
        inp.shape.slice(1) as [number, number, number],
        outShape.slice(1) as [number, number, number],
        xf,
        'nearest',
        padding,
      ),
    );
  }
  return out;
}

interface Arr {
  shape: number[];
  data: number[];
}
interface Out extends Arr {
  affine: number[][];
  spatial_shape: number[];
}
interface Case {
  name: string;
  transform: string;
  args: Record<string, unknown>;
  input: { image: Arr; label: Arr; affine: number[][] };
  output: Record<string, Out>;
}

const { data, source } = monaiFixture<{ cases: Case[] }>('make_geometry_fixtures.py', 'geometry.json');
const INDEX_ONLY = new Set(['Rotate90d', 'RandRotate90d', 'Flipd', 'CropForegroundd', 'SpatialPadd', 'RandCropByPosNegLabeld', 'Orientationd']);

function meta(affine: number[][], shape: number[]): MetaDict {
  return { affine: affine.map((r) => [...r]), original_affine: affine, spatial_shape: shape.slice(1), pixdim: [1, 1, 1], filename_or_obj: 'synthetic' };
}

export async function runCase(c: Case): Promise<Sample> {
  const t = composeFromConfig([{ name: c.transform, args: c.args }], { file: 'monai-geometry', path: 'case' });
  const s: Sample = {
    image: { data: Float32Array.from(c.input.image.data), shape: c.input.image.shape },
    label: { data: Float32Array.from(c.input.label.data), shape: c.input.label.shape },
    image_meta_dict: meta(c.input.affine, c.input.image.shape),
    label_meta_dict: meta(c.input.affine, c.input.label.shape),
  };
  const r = await t.apply(s);
  return Array.isArray(r) ? r[0] : r;
}

test(`geometry fixtures cover every feature (${source})`, () => {
  const names = data.cases.map((c) => c.name).join('\n');
  for (const w of ['shear', 'diagonal', 'align_corners', 'scale_extent', 'recompute_affine', 'min/max pixdim', 'Rotate90d', 'RandAffined prob=0'])
    assert.ok(names.includes(w), `a case for ${w}`);
});

for (const backend of ['native', 'ts'] as const) {
  for (const c of data.cases) {
    test(`${c.name} matches MONAI (${source}, ${backend} kernels)`, async () => {
      setKernelBackend(backend);
      try {
        const r = await runCase(c);
        for (const [i, key] of Object.keys(c.output).entries()) {
          const want = c.output[key];
          const got = r[key] as Tensor;
          assert.deepEqual(got.shape, want.shape, `${key} shape`);
          const mode = c.args.mode;
          const nearest = INDEX_ONLY.has(c.transform) || (Array.isArray(mode) ? mode[i] : mode) === 'nearest';
          const scale = Math.max(1, ...want.data.map(Math.abs));
          const m = r[`${key}_meta_dict`] as MetaDict;
          const resampled = nearest && !INDEX_ONLY.has(c.transform) && c.args.recompute_affine !== true;
          let alts: Float32Array[] | undefined;
          let bad = 0,
            worst = 0,
            ties = 0;
          for (let j = 0; j < want.data.length; j++) {
            const d = Math.abs(got.data[j] - want.data[j]);
            if (!(nearest ? d !== 0 : d > 1e-5 * scale)) continue;
            if (resampled) {
              alts ??= tieAlternatives(c, key as 'image' | 'label', i, m.affine, want.shape);
              if (alts.some((a) => a[j] === want.data[j]) && alts.some((a) => a[j] === got.data[j])) {
                ties++;
                continue;
              }
            }
            worst = Math.max(worst, d);
            bad++;
          }
          assert.ok(ties <= want.data.length / 10, `${key}: ${ties} tie-broken voxels`);
          assert.equal(bad, 0, `${key}: ${bad} of ${want.data.length} voxels differ (worst ${worst})`);
          for (let a = 0; a < 4; a++)
            for (let b = 0; b < 4; b++)
              assert.ok(Math.abs(m.affine[a][b] - want.affine[a][b]) < 1e-6, `${key} affine[${a}][${b}] ${m.affine[a][b]} vs ${want.affine[a][b]}`);
          assert.deepEqual(m.spatial_shape, want.spatial_shape, `${key} spatial_shape`);
        }
      } finally {
        setKernelBackend(undefined);
      }
    });
  }
}
