import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmartCacheDataset } from '../../src/data/smart-cache-dataset.js';
import { DataLoader } from '../../src/data/data-loader.js';
import { Compose } from '../../src/transforms/compose.js';
import { RandFlipd } from '../../src/transforms/spatial-transforms.js';
import { items, SyntheticLoad } from './synthetic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('over 10 epochs every item is seen and each update replaces ceil(cache_num * replace_rate) items', async () => {
  const load = new SyntheticLoad([6, 6, 6], 1);
  const ds = new SmartCacheDataset(items(20), new Compose([load, new RandFlipd(['image', 'label'], 0.5)]), {
    cacheNum: 8,
    replaceRate: 0.25,
    numInitWorkers: 2,
    numReplaceWorkers: 2,
    seed: 3,
    progress: false,
  });
  const loader = new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 1 });
  assert.equal(ds.replaceNum, 2);
  const seen = new Set<number>();
  let prev: number[] = [];
  for (let epoch = 0; epoch < 10; epoch++) {
    let n = 0;
    for await (const b of loader.epoch(epoch)) {
      for (const s of b.samples) seen.add(s.id as number);
      n += b.size;
    }
    assert.equal(n, 8, 'an epoch covers the cache');
    const now = ds.cachedIndices();
    assert.equal(now.length, 8);
    if (epoch > 0) {
      assert.equal(ds.lastReplaced, 2);
      const replaced = now.filter((i) => !prev.includes(i)).length;
      assert.equal(replaced / 8, 0.25, `epoch ${epoch}: replaced fraction`);
      assert.deepEqual(now.slice(0, 6), prev.slice(2), 'the oldest items leave first');
    }
    prev = now;
  }
  assert.equal(seen.size, 20, `seen ${[...seen].sort((a, b) => a - b)}`);
  await ds.shutdown();
});

test('training never waits on replacement when replacement is faster than the epoch', async () => {
  const ds = new SmartCacheDataset(items(12), new Compose([new SyntheticLoad([6, 6, 6], 4)]), {
    cacheNum: 6,
    replaceRate: 0.5,
    numReplaceWorkers: 2,
    seed: 1,
    progress: false,
  });
  await ds.start();
  const waits: number[] = [];
  for (let epoch = 0; epoch < 5; epoch++) {
    for (let i = 0; i < ds.length; i++) {
      await ds.getItem(i);
      await sleep(10); // the training step: 60 ms an epoch vs ~8 ms of replacement
    }
    waits.push(await ds.updateCache());
  }
  assert.ok(Math.max(...waits) < 3, `waited ${waits.map((w) => w.toFixed(2))} ms`);
  await ds.shutdown();
});

test('updateCache waits (and says so) when replacement is slower than the epoch', async () => {
  const ds = new SmartCacheDataset(items(8), new Compose([new SyntheticLoad([4, 4, 4], 60)]), {
    cacheNum: 4,
    replaceRate: 0.5,
    numReplaceWorkers: 1,
    seed: 1,
    progress: false,
  });
  await ds.start();
  const w = await ds.updateCache();
  assert.ok(w > 50, `waited only ${w} ms`);
  await ds.shutdown();
  assert.equal(await ds.updateCache(), 0, 'after shutdown nothing is pending');
});

test('SmartCache arguments are validated', () => {
  assert.throws(() => new SmartCacheDataset(items(4), undefined, { replaceRate: 0 }), /replace_rate must be in \(0, 1\]/);
  assert.throws(() => new SmartCacheDataset([], undefined, {}), /cache_num must be >= 1/);
});
