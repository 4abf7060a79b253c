// Affined / RandAffined / Spacingd / Rotate90d arguments: bad values name the file and the JSON
// path of the argument; seeded RandAffined with shear is reproducible; the shear/rotation
// building blocks have MONAI's algebra (det 1 shear, Rx·Ry·Rz rotation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeFromConfig } from '../../src/transforms/build.js';
import { ClaraError } from '../../src/util/errors.js';
import { drawRange, RandAffined } from '../../src/transforms/spatial-transforms.js';
import { createRotate, createShear, matmul } from '../../src/transforms/geometry.js';
import type { Sample, Tensor } from '../../src/transforms/types.js';
import { Rng } from '../../src/util/random.js';

function buildError(name: string, args: Record<string, unknown>): ClaraError {
  try {
    composeFromConfig([{ name, args: { keys: ['image', 'label'], ...args } }], { file: 'config_train.json', path: 'train.pre_transforms' });
  } catch (e) {
    assert.ok(e instanceof ClaraError, `a ClaraError, got ${e}`);
    return e;
  }
  assert.fail(`${name} ${JSON.stringify(args)} should be refused`);
}

const refused: [string, Record<string, unknown>, string][] = [
  ['Affined', { align_corners: true }, 'align_corners'],
  ['Affined', { normalized: true }, 'normalized'],
  ['Affined', { shear_params: 'big' }, 'shear_params'],
  [
    'Affined',
    {
      affine: [
        [1, 0],
        [0, 1],
      ],
    },
    'affine',
  ],
  ['Affined', { mode: 'bicubic' }, 'mode'],
  ['Affined', { rotate_order: 'zyx' }, 'rotate_order'],
  ['RandAffined', { shear_range: ['x'] }, 'shear_range'],
  ['RandAffined', { shear_range: [[0.1, 0.2, 0.3]] }, 'shear_range'],
  ['RandAffined', { padding_mode: ['zeros'] }, 'padding_mode'],
  ['RandAffined', { spatial_size: [32, 32] }, 'spatial_size'],
  ['RandAffined', { lazy: true }, 'lazy'],
  ['Spacingd', { pixdim: [1, 'a'] }, 'pixdim'],
  ['Spacingd', { pixdim: [1, 1, 1], min_pixdim: 'small' }, 'min_pixdim'],
  ['Spacingd', { pixdim: [1, 1, 1], min_pixdim: [2, 2, 2], max_pixdim: [1, 1, 1] }, 'min_pixdim'],
  ['Spacingd', { pixdim: [1, 1, 1], scale_extent: [true] }, 'scale_extent'],
  ['Spacingd', { pixdim: [1, 1, 1], align_corners: 'yes' }, 'align_corners'],
  ['Spacingd', { pixdim: [1, 1, 1], mode: ['bilinear'] }, 'mode'],
  ['Spacingd', { pixdim: [1, 1, 1], diagonal: 1 }, 'diagonal'],
  ['Rotate90d', { spatial_axes: [1, 1] }, 'spatial_axes'],
  ['RandRotate90d', { spatial_axes: [0, 3] }, 'spatial_axes'],
];
for (const [name, args, arg] of refused) {
  test(`${name} ${JSON.stringify(args)} is refused at .args.${arg}`, () => {
    const e = buildError(name, args);
    assert.equal(e.file, 'config_train.json');
    assert.equal(e.jsonPath, `train.pre_transforms[0].args.${arg}`);
  });
}

test('the features that were refused before now build', () => {
  for (const [name, args] of [
    [
      'Spacingd',
      {
        pixdim: [1, 1, 1],
        diagonal: true,
        align_corners: true,
        scale_extent: [true, false],
        recompute_affine: true,
        min_pixdim: 0.5,
        max_pixdim: [2, null, 2],
      },
    ],
    [
      'RandAffined',
      { prob: 0.5, shear_range: [0.1, [0, 0.2]], spatial_size: [8, -1, 8], cache_grid: true, mode: ['bilinear', 'nearest'], padding_mode: ['zeros', 'border'] },
    ],
    ['Affined', { shear_params: [0.1, 0, 0, 0.2, 0, 0], spatial_size: 8 }],
  ] as const)
    composeFromConfig([{ name, args: { keys: ['image', 'label'], ...args } }], { file: 'c.json', path: 'p' });
});

test('create_shear has determinant 1 and create_rotate is Rx·Ry·Rz', () => {
  const s = createShear([0.1, -0.2, 0.3, 0.05, -0.15, 0.25]);
  const det =
    s[0][0] * (s[1][1] * s[2][2] - s[1][2] * s[2][1]) - s[0][1] * (s[1][0] * s[2][2] - s[1][2] * s[2][0]) + s[0][2] * (s[1][0] * s[2][1] - s[1][1] * s[2][0]);
  assert.ok(Math.abs(det - 1) < 1e-12, `det ${det}`);
  const r = createRotate([0.3, -0.2, 0.1]);
  const rx = createRotate([0.3]),
    ry = matmul(createRotate([0, -0.2]), createRotate([0])),
    rz = createRotate([0, 0, 0.1]);
  const want = matmul(matmul(rx, ry), rz);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) assert.ok(Math.abs(r[i][j] - want[i][j]) < 1e-12);
});

function sample(): Sample {
  const rng = new Rng(3);
  const n = 9 * 8 * 7;
  const img = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  const lab = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
  return { image: { data: img, shape: [1, 9, 8, 7] }, label: { data: lab, shape: [1, 9, 8, 7] } };
}

test('RandAffined with shear: the same seed gives the same bytes, another seed others', async () => {
  const make = (seed: number) => {
    const t = new RandAffined(['image', 'label'], {
      prob: 1,
      shear_range: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2],
      rotate_range: [0.1, 0.1, 0.1],
      mode: ['bilinear', 'nearest'],
    });
    t.setRandomState(seed);
    return t;
  };
  const run = async (seed: number) => ((await make(seed).apply(sample())) as Sample).image as Tensor;
  const a = await run(5),
    b = await run(5),
    c = await run(6);
  assert.deepEqual(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer));
  assert.notDeepEqual(Buffer.from(a.data.buffer), Buffer.from(c.data.buffer));
});

test('RandAffined ranges draw like MONAI RandAffineGrid: one value per entry, a scalar covers axis 0 only', () => {
  const r = new Rng(1);
  assert.equal(drawRange(0.3, r).length, 1);
  assert.deepEqual(drawRange(null, r), []);
  const v = drawRange([0.1, null, [1, 2]], r, 1);
  assert.equal(v.length, 2);
  assert.ok(v[0] >= 0.9 && v[0] <= 1.1 && v[1] >= 2 && v[1] <= 3, `${v}`);
  assert.deepEqual(
    drawRange(
      [
        [0.25, 0.25],
        [-1, -1],
      ],
      r,
    ),
    [0.25, -1],
  );
});
