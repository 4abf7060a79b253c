// SmartCache / CacheDataset with the cached prefix in worker threads: the same bytes as the
// main-thread path, replace_rate per epoch, errors naming the file, shutdown ending the
// workers, and (structurally) the transforms running off the main thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { SmartCacheDataset } from '../../src/data/smart-cache-dataset.js';
import { CacheDataset } from '../../src/data/cache-dataset.js';
import { DataLoader } from '../../src/data/data-loader.js';
import { Compose } from '../../src/transforms/compose.js';
import { ClaraError } from '../../src/util/errors.js';
import { isTensor, type Sample } from '../../src/transforms/types.js';
import type { TransformResult } from '../../src/transforms/base.js';
import { buildPre, makeMmar } from './smartcache-mmar.js';
import { items, SyntheticLoad } from './synthetic.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Tensors as bytes, everything else as JSON, the probe's thread id left out. */
function fingerprint(r: TransformResult): unknown {
  const one = (s: Sample) =>
    Object.fromEntries(
      Object.entries(s).map(([k, v]) => {
        if (isTensor(v)) return [k, { shape: v.shape, bytes: Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString('base64') }];
        if (k.endsWith('_meta_dict') && v && typeof v === 'object') {
          const { thread_id: _t, ...m } = v as Record<string, unknown>;
          return [k, JSON.stringify(m)];
        }
        return [k, JSON.stringify(v)];
      }),
    );
  return Array.isArray(r) ? r.map(one) : one(r);
}
const threadOf = (r: TransformResult) => ((Array.isArray(r) ? r[0] : r).image_meta_dict as { thread_id: number }).thread_id;

test('worker and main-thread paths give byte-identical caches, at start and after replacements', async () => {
  const m = await makeMmar(9);
  try {
    const caches: unknown[][] = [];
    const threads: number[][] = [];
    const items: Sample[][] = [];
    for (const mode of ['worker', 'main'] as const) {
      const ds = new SmartCacheDataset(m.data, await buildPre(m.root, 7), {
        cacheNum: 5,
        replaceRate: 0.4,
        numInitWorkers: 2,
        numReplaceWorkers: 2,
        seed: 11,
        progress: false,
        threads: mode,
      });
      await ds.start();
      const snap = [ds.cachedResults().map(fingerprint)];
      const th = ds.cachedResults().map(threadOf);
      for (let e = 0; e < 3; e++) {
        await ds.updateCache();
        snap.push(ds.cachedResults().map(fingerprint));
        th.push(...ds.cachedResults().map(threadOf));
      }
      const got: Sample[] = [];
      for (let i = 0; i < ds.length; i++) got.push((await ds.getItem(i)) as Sample);
      assert.equal(ds.runner.where, mode);
      caches.push(snap);
      threads.push(th);
      items.push(got);
      await ds.shutdown();
    }
    assert.deepEqual(caches[0], caches[1], 'the cache content does not depend on the thread that computed it');
    assert.deepEqual(items[0].map(fingerprint), items[1].map(fingerprint), 'nor do the randomly transformed items');
    assert.ok(
      threads[0].every((t) => t !== threadId),
      `worker path: every item was prepared off the main thread (${threads[0]})`,
    );
    assert.ok(
      threads[1].every((t) => t === threadId),
      'main path: on the main thread',
    );
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});

test('with workers each epoch still replaces replace_rate of the cache, and every item is seen', async () => {
  const m = await makeMmar(10);
  try {
    const ds = new SmartCacheDataset(m.data, await buildPre(m.root, 3), {
      cacheNum: 4,
      replaceRate: 0.5,
      numInitWorkers: 3,
      numReplaceWorkers: 2,
      seed: 5,
      progress: false,
      threads: 'worker',
    });
    const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, seed: 1 });
    const seen = new Set<number>();
    let prev: number[] = [];
    for (let epoch = 0; epoch < 6; epoch++) {
      for await (const b of loader.epoch(epoch)) for (const s of b.samples) seen.add(s.id as number);
      const now = ds.cachedIndices();
      if (epoch > 0) {
        assert.equal(ds.lastReplaced, 2);
        assert.equal(now.filter((i) => !prev.includes(i)).length / now.length, 0.5, `epoch ${epoch}`);
      }
      prev = now;
    }
    assert.equal(seen.size, 10);
    const pool = await ds.runner.threadIds();
    assert.equal(pool.length, 2, 'num_replace_workers workers after the fill (of num_init_workers 3)');
    assert.ok(pool.every((t) => t !== threadId));
    await ds.shutdown();
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});

test('an item failing in a worker surfaces as a ClaraError naming its file (fill and replacement)', async () => {
  const m = await makeMmar(6);
  try {
    const missing = join(m.root, 'nope.nii.gz');
    const bad = [...m.data.slice(0, 2), { image: missing, label: m.data[0].label, id: 99 }, ...m.data.slice(2)];
    const ds = new SmartCacheDataset(bad, await buildPre(m.root, 1), {
      cacheNum: 4,
      replaceRate: 0.5,
      shuffle: false,
      seed: 1,
      progress: false,
      threads: 'worker',
    });
    await assert.rejects(ds.start(), (e: Error) => e instanceof ClaraError && e.message.includes(missing));
    await ds.shutdown();
    // a transform error in a replacement: named with the item's file by updateCache()
    const failing = m.data[5].image as string;
    const ds2 = new SmartCacheDataset(m.data, await buildPre(m.root, 1, { failOn: 'img5.nii.gz' }), {
      cacheNum: 4,
      replaceRate: 0.5,
      shuffle: false,
      seed: 1,
      progress: false,
      threads: 'worker',
    });
    await ds2.start(); // items 0-3 cached; items 4 and 5 are being prepared as the replacement
    await assert.rejects(ds2.updateCache(), (e: Error) => e instanceof ClaraError && e.file === failing && /refusing/.test(e.message));
    await ds2.shutdown();
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});

test('transforms built in code fall back to the main thread; threads: worker makes that an error', async () => {
  const ds = new SmartCacheDataset(items(6), new Compose([new SyntheticLoad([4, 4, 4])]), { cacheNum: 3, replaceRate: 0.5, progress: false });
  await ds.start();
  assert.equal(ds.runner.where, 'main');
  await ds.shutdown();
  const strict = new SmartCacheDataset(items(6), new Compose([new SyntheticLoad([4, 4, 4])]), {
    cacheNum: 3,
    replaceRate: 0.5,
    progress: false,
    threads: 'worker',
  });
  await assert.rejects(strict.start(), /SyntheticLoad\) was built in code/);
});

test('CacheDataset fills its cache in num_workers worker threads, byte-identical to the main thread', async () => {
  const m = await makeMmar(5);
  try {
    const out: unknown[][] = [];
    for (const mode of ['worker', 'main'] as const) {
      const ds = new CacheDataset(m.data, await buildPre(m.root, 2), { cacheRate: 0.8, numWorkers: 2, seed: 4, progress: false, threads: mode });
      const got = [];
      for (let i = 0; i < ds.length; i++) got.push(await ds.getItem(i));
      assert.equal(ds.runner.where, mode);
      if (mode === 'worker') assert.ok(got.slice(0, 4).every((r) => threadOf(r) !== threadId));
      out.push(got.map(fingerprint));
    }
    assert.deepEqual(out[0], out[1]);
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});

test('the worker threads never keep the process alive: shutdown() ends them, and so does an idle exit', { timeout: 120_000 }, async () => {
  const m = await makeMmar(6);
  try {
    for (const callShutdown of [true, false]) {
      const script = join(m.root, `run-${callShutdown}.mts`);
      writeFileSync(
        script,
        `
import { SmartCacheDataset } from ${JSON.stringify(join(root, 'src/data/smart-cache-dataset.ts'))};
import { buildPre } from ${JSON.stringify(join(root, 'test/data/smartcache-mmar.ts'))};
const data = ${JSON.stringify(m.data)};
const ds = new SmartCacheDataset(data, await buildPre(${JSON.stringify(m.root)}, 1), { cacheNum: 3, replaceRate: 0.5, numReplaceWorkers: 2, progress: false, threads: 'worker' });
await ds.start();
await ds.updateCache();
console.log('workers', (await ds.runner.threadIds()).length);
${callShutdown ? 'await ds.shutdown();' : 'await ds.updateCache();'}
console.log('done');
`,
      );
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.signal, null, `the process did not exit by itself (shutdown: ${callShutdown}): ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /workers 2\ndone/);
    }
  } finally {
    rmSync(m.root, { recursive: true, force: true });
  }
});
