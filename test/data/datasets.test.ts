import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheDataset } from '../../src/data/cache-dataset.js';
import { Dataset } from '../../src/data/dataset.js';
import { collate, DataLoader } from '../../src/data/data-loader.js';
import { Compose } from '../../src/transforms/compose.js';
import { RandCropByPosNegLabeld, RandFlipd } from '../../src/transforms/spatial-transforms.js';
import { ScaleIntensityRanged } from '../../src/transforms/intensity-transforms.js';
import type { Tensor } from '../../src/transforms/types.js';
import { items, SyntheticLoad } from './synthetic.js';

test('CacheDataset runs the deterministic prefix once per cached item (cache_rate) and the random rest every fetch', async () => {
  const load = new SyntheticLoad([6, 6, 6]);
  const t = new Compose([load, new ScaleIntensityRanged(['image'], { a_min: -20, a_max: 80, clip: true }), new RandFlipd(['image', 'label'], 1, 0)]);
  assert.equal(t.firstRandomIndex(), 2);
  const ds = new CacheDataset(items(10), t, { cacheRate: 0.5, numWorkers: 3, progress: false });
  assert.equal(ds.cacheCount, 5);
  await ds.init();
  assert.equal(load.calls, 5);
  for (let e = 0; e < 3; e++) for (let i = 0; i < 10; i++) await ds.getItem(i);
  assert.equal(load.calls, 5 + 3 * 5, 'uncached items load on every fetch, cached ones never again');
  const a = (await ds.getItem(0)) as Record<string, Tensor>;
  const direct = (await new Dataset(
    items(10),
    new Compose([
      new SyntheticLoad([6, 6, 6]),
      new ScaleIntensityRanged(['image'], { a_min: -20, a_max: 80, clip: true }),
      new RandFlipd(['image', 'label'], 1, 0),
    ]),
  ).getItem(0)) as Record<string, Tensor>;
  assert.deepEqual(a.image, direct.image, 'cached + random rest equals the whole pipeline');
  assert.ok(a.image.data.every((v) => v >= 0 && v <= 1));
});

test('DataLoader batches, shuffles per epoch from the seed, prefetches and flattens multi-sample items', async () => {
  const ds = new Dataset(items(10), new Compose([new SyntheticLoad([6, 6, 6])]));
  const loader = new DataLoader(ds, { batchSize: 3, shuffle: true, seed: 9, prefetch: 2 });
  assert.equal(loader.length, 4);
  const ids: number[][] = [];
  for await (const b of loader.epoch(0)) {
    assert.deepEqual(b.tensors.image.shape, [b.size, 1, 6, 6, 6]);
    assert.equal(b.tensors.image.data.length, b.size * 216);
    ids.push(b.samples.map((s) => s.id as number));
  }
  assert.deepEqual(
    ids.map((x) => x.length),
    [3, 3, 3, 1],
  );
  assert.deepEqual(
    ids.flat().sort((a, b) => a - b),
    [...Array(10).keys()],
  );
  assert.deepEqual(loader.order(0), loader.order(0));
  assert.notDeepEqual(loader.order(0), loader.order(1));
  assert.deepEqual(new DataLoader(ds, { batchSize: 3 }).order(0), [...Array(10).keys()]);
  // num_samples crops: 2 items x 3 samples = a batch of 6
  const crops = new Dataset(
    items(4),
    new Compose([new SyntheticLoad([8, 8, 8]), new RandCropByPosNegLabeld(['image', 'label'], 'label', [4, 4, 4], { num_samples: 3 })]),
  );
  const l2 = new DataLoader(crops, { batchSize: 2 });
  const batches = [];
  for await (const b of l2.epoch(0)) batches.push(b);
  assert.deepEqual(
    batches.map((b) => b.tensors.label.shape),
    [
      [6, 1, 4, 4, 4],
      [6, 1, 4, 4, 4],
    ],
  );
});

test('collate names the key and shapes that do not match', () => {
  const a = { image: { data: new Float32Array(8), shape: [1, 2, 2, 2] } };
  const b = { image: { data: new Float32Array(27), shape: [1, 3, 3, 3] } };
  assert.throws(() => collate([a, b]), /'image' of sample 1 has shape \[1,3,3,3\], sample 0 has \[1,2,2,2\]/);
});

test('RandCropByPosNegLabeld crops always have spatial_size, also near the border (MONAI correct_crop_centers)', async () => {
  const { cropStartForCenter } = await import('../../src/transforms/spatial-transforms.js');
  for (const [dim, size] of [
    [51, 21],
    [51, 20],
    [64, 64],
    [10, 3],
    [97, 96],
  ]) {
    for (let c = 0; c < dim; c++) {
      const r = cropStartForCenter([c, c, c], [size, size, size], [dim, dim, dim]);
      assert.equal(r.size[0], size, `dim ${dim} size ${size} center ${c}`);
      assert.ok(r.start[0] >= 0 && r.start[0] + size <= dim);
    }
  }
  // MONAI: dim 51, size 21 → centers clamp to [10, 40]
  assert.equal(cropStartForCenter([50, 0, 25], [21, 21, 21], [51, 51, 51]).start.join(), '30,0,15');
});

test('setRandomState reseeds the loader order and the random transforms', async () => {
  const mk = () =>
    new DataLoader(new Dataset(items(6), new Compose([new SyntheticLoad([6, 6, 6]), new RandFlipd(['image'], 0.5)])), { batchSize: 6, shuffle: true, seed: 1 });
  const collect = async (l: DataLoader) => {
    const out = [];
    for await (const b of l.epoch(0)) out.push(b.tensors.image.data);
    return out;
  };
  const a = mk(),
    b = mk();
  a.setRandomState(1);
  b.setRandomState(99);
  assert.notDeepEqual(a.order(0), b.order(0));
  const other = await collect(b);
  b.setRandomState(1);
  const [x, y] = [await collect(a), await collect(b)];
  assert.deepEqual(x, y);
  assert.notDeepEqual(other, y);
});
