// The training size of a concrete train config and the out-of-memory back-off over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFidelity, describeFidelity, nextFidelity, readFidelity } from '../../src/automl/fidelity.js';

const clara4 = () => ({
  train: {
    pre_transforms: [
      { name: 'LoadImaged', args: { keys: ['image'] } },
      { name: 'RandCropByPosNegLabeld', args: { keys: ['image', 'label'], spatial_size: [96, 96, 64], num_samples: 4 } },
      { name: 'RandSpatialCropd', disabled: true, args: { roi_size: [8, 8, 8] } },
    ],
    dataloader: { name: 'DataLoader', args: { batch_size: 4 } },
  },
  validate: { inferer: { name: 'SlidingWindowInferer', args: { roi_size: [160, 160, 160] } } },
});

test('Clara 4.x: batch_size and a crop spatial_size; a disabled crop and the validation window are not training sizes', () => {
  assert.deepEqual(readFidelity(clara4()), { batchSize: 4, patch: [96, 96, 64] });
});

test('Clara 3.x: the image pipeline batch and crop, a Crop transform size', () => {
  const j: any = {
    train: {
      pre_transforms: [{ name: 'CropFixedSizeRandomCenter', args: { size: [64, 64, 64] } }],
      image_pipeline: { args: { output_batch_size: 32, output_crop_size: [64, 64, 64] } },
    },
  };
  assert.deepEqual(readFidelity(j), { batchSize: 32, patch: [64, 64, 64] });
  applyFidelity(j, { batchSize: 16, patch: [48, 48, 48] });
  assert.equal(j.train.image_pipeline.args.output_batch_size, 16);
  assert.deepEqual(j.train.image_pipeline.args.output_crop_size, [48, 48, 48]);
  assert.deepEqual(j.train.pre_transforms[0].args.size, [48, 48, 48]);
});

test('"{VAR}" sizes resolve through environment.json, then the top level; a change is written as a literal', () => {
  const c: any = clara4();
  c.batch = 8;
  c.train.dataloader.args.batch_size = '{batch}';
  c.train.pre_transforms[1].args.spatial_size = '{patch}';
  assert.deepEqual(readFidelity(c, { patch: [32, 32, 32] }), { batchSize: 8, patch: [32, 32, 32] });
  assert.deepEqual(readFidelity(c, { batch: '2', patch: [32, 32, 32] }).batchSize, 2, 'environment.json wins over the top level');
  applyFidelity(c, { batchSize: 4 });
  assert.equal(c.train.dataloader.args.batch_size, 4);
  assert.equal(c.train.pre_transforms[1].args.spatial_size, '{patch}', 'an unchanged size keeps its reference');
});

test('the back-off halves the batch down to 1, then shrinks the patch (×0.75, multiples of 8, at least 8), then gives up', () => {
  const steps: string[] = [];
  let f = readFidelity(clara4());
  for (let n = nextFidelity(f); n; n = nextFidelity(f)) {
    steps.push(n.change);
    f = n.next;
  }
  assert.deepEqual(steps, [
    'batch 4 → 2',
    'batch 2 → 1',
    'patch 96x96x64 → 72x72x48',
    'patch 72x72x48 → 48x48x32',
    'patch 48x48x32 → 32x32x24',
    'patch 32x32x24 → 24x24x16',
    'patch 24x24x16 → 16x16x8',
    'patch 16x16x8 → 8x8x8',
  ]);
  assert.equal(describeFidelity(f), 'batch 1, patch 8x8x8');
  assert.equal(nextFidelity({}), undefined, 'a config that names no size cannot back off');
});

test('applyFidelity keeps a scalar size scalar and a list its length', () => {
  const c: any = clara4();
  c.train.pre_transforms[1].args.spatial_size = 64;
  applyFidelity(c, { patch: [48] });
  assert.equal(c.train.pre_transforms[1].args.spatial_size, 48);
  assert.deepEqual(readFidelity(c).patch, [48]);
});
