// SmartCache replacement: main thread vs worker threads, while a training-like loop runs on
// the main thread (each step a synchronous 50 ms busy step, then an await). Per setting:
// epoch time, main-thread active time (performance.eventLoopUtilization) above a
// no-replacement baseline, that extra time per replaced item, and how long update_cache()
// waited, and the longest gap between two training steps inside an epoch (what
// replacement work on the main thread stalls the training by). Real NIfTI (mricron ch2 + a label from ch2bet > 0) through a config-built
// pre_transforms (LoadImaged, EnsureChannelFirstd, Spacingd, ScaleIntensityRanged,
// CropForegroundd | RandFlipd). Then the replacement alone (main thread idle): main-thread
// active ms per replaced item, main thread vs workers. Writes benchmarks/results/smartcache.json.
// Usage: npm run bench -- smartcache [--quick]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readNifti, writeNifti } from '../src/io/nifti/index.js';
import { composeFromConfig } from '../src/transforms/build.js';
import { SmartCacheDataset } from '../src/data/smart-cache-dataset.js';
import { DataLoader } from '../src/data/data-loader.js';
import type { Sample } from '../src/transforms/types.js';
import { printTable, writeResults, type Figure } from './lib/results.js';

const quick = process.argv.includes('--quick');
const CH2 = '/usr/share/mricron/templates/ch2.nii.gz';
const CH2BET = '/usr/share/mricron/templates/ch2bet.nii.gz';
const STEP_MS = 50;
const CACHE = quick ? 4 : 8;
const EPOCHS = quick ? 2 : 3;

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* the training step holds the main thread */
  }
}

async function dataset(dir: string): Promise<{ image: string; label: string; real: boolean }> {
  const label = join(dir, 'label.nii.gz');
  if (existsSync(CH2) && existsSync(CH2BET)) {
    const bet = await readNifti(CH2BET);
    await writeNifti(label, { data: new Uint8Array(bet.data.length).map((_, i) => (bet.data[i] > 0 ? 1 : 0)), shape: bet.shape, affine: bet.affine });
    return { image: CH2, label, real: true };
  }
  const s = [160, 192, 160],
    n = s[0] * s[1] * s[2];
  const img = new Float32Array(n).map((_, v) => (v * 2654435761) % 251),
    lab = new Uint8Array(n).map((_, v) => (v % 9 === 0 ? 1 : 0));
  const affine = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ] as never;
  const image = join(dir, 'image.nii.gz');
  await writeNifti(image, { data: img, shape: s, affine });
  await writeNifti(label, { data: lab, shape: s, affine });
  return { image, label, real: false };
}

const PRE = [
  { name: 'LoadImaged', args: { keys: ['image', 'label'] } },
  { name: 'EnsureChannelFirstd', args: { keys: ['image', 'label'] } },
  { name: 'Spacingd', args: { keys: ['image', 'label'], pixdim: [1.5, 1.5, 2], mode: ['bilinear', 'nearest'] } },
  { name: 'ScaleIntensityRanged', args: { keys: 'image', a_min: 0, a_max: 255, b_min: 0, b_max: 1, clip: true } },
  { name: 'CropForegroundd', args: { keys: ['image', 'label'], source_key: 'image' } },
  { name: 'RandFlipd', args: { keys: ['image', 'label'], prob: 0.5, spatial_axis: 0 } },
];

interface Run {
  epochMs: number;
  activeMs: number;
  waitMs: number;
  replacedPerEpoch: number;
  maxGapMs: number;
}

async function run(data: Sample[], replaceRate: number, threads: 'main' | 'worker'): Promise<Run> {
  const transform = composeFromConfig(PRE, { file: 'benchmarks/smartcache.ts', path: 'pre_transforms' }, 0);
  const ds = new SmartCacheDataset(data, transform, {
    cacheNum: CACHE,
    replaceRate,
    numInitWorkers: 2,
    numReplaceWorkers: 2,
    seed: 0,
    progress: false,
    threads,
  });
  const loader = new DataLoader(ds, { batchSize: 1, shuffle: true, seed: 0, prefetch: 2 });
  await ds.start(); // the initial fill is not timed
  let epochMs = 0,
    activeMs = 0,
    waitMs = 0,
    maxGapMs = 0;
  for (let e = 0; e < EPOCHS; e++) {
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    let stepEnd = -1;
    for await (const _b of loader.epoch(e)) {
      // the gap between two training steps (not before the first: update_cache() is there)
      if (stepEnd >= 0) maxGapMs = Math.max(maxGapMs, performance.now() - stepEnd);
      busy(STEP_MS);
      stepEnd = performance.now();
      await new Promise((r) => setImmediate(r));
    }
    epochMs += performance.now() - t0;
    activeMs += performance.eventLoopUtilization(elu0).active;
    waitMs += ds.lastWaitMs;
  }
  const replaced = ds.replaceNum;
  await ds.shutdown();
  return { epochMs: epochMs / EPOCHS, activeMs: activeMs / EPOCHS, waitMs: waitMs / EPOCHS, replacedPerEpoch: replaced, maxGapMs };
}

/** Replacement alone (the main thread otherwise idle): its main-thread active ms and wall ms per item. */
async function alone(data: Sample[], threads: 'main' | 'worker'): Promise<{ activeMsPerItem: number; wallMsPerItem: number }> {
  const transform = composeFromConfig(PRE, { file: 'benchmarks/smartcache.ts', path: 'pre_transforms' }, 0);
  const ds = new SmartCacheDataset(data, transform, {
    cacheNum: CACHE,
    replaceRate: 1,
    numInitWorkers: 2,
    numReplaceWorkers: 2,
    seed: 0,
    progress: false,
    threads,
  });
  await ds.start();
  let active = 0,
    wall = 0,
    items = 0;
  for (let e = 0; e < 2; e++) {
    // start()/updateCache() scheduled the next replacement: measure until it is swapped in
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    await ds.updateCache();
    wall += performance.now() - t0;
    active += performance.eventLoopUtilization(elu0).active;
    items += ds.lastReplaced;
    if (e === 0) await new Promise((r) => setTimeout(r, 10));
  }
  await ds.shutdown();
  return { activeMsPerItem: active / items, wallMsPerItem: wall / items };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clara-bench-smartcache-'));
  try {
    const { image, label, real } = await dataset(dir);
    const entries = (n: number) => Array.from({ length: n }, (_, id) => ({ image, label, id }));
    const base = await run(entries(CACHE), 1, 'main'); // data == cache: nothing to replace
    const figures: Figure[] = [
      {
        name: 'baseline epoch (no replacement)',
        value: base.epochMs,
        unit: 'ms',
        activeMs: base.activeMs,
        maxGapBetweenStepsMs: base.maxGapMs,
        steps: CACHE,
        stepMs: STEP_MS,
      },
    ];
    const rows: Record<string, string | number>[] = [
      {
        replacement: 'none (baseline)',
        replace_rate: 0,
        'replaced/epoch': 0,
        'epoch ms': base.epochMs,
        'main active ms': base.activeMs,
        'extra main ms/item': 0,
        'max gap between steps ms': base.maxGapMs,
        'update_cache wait ms': 0,
      },
    ];
    for (const rate of quick ? [0.5, 1] : [0.25, 0.5, 1]) {
      for (const threads of ['main', 'worker'] as const) {
        const r = await run(entries(CACHE * 3), rate, threads);
        const extra = (r.activeMs - base.activeMs) / Math.max(1, r.replacedPerEpoch);
        rows.push({
          replacement: threads === 'main' ? 'main thread' : 'worker threads',
          replace_rate: rate,
          'replaced/epoch': r.replacedPerEpoch,
          'epoch ms': r.epochMs,
          'main active ms': r.activeMs,
          'extra main ms/item': extra,
          'max gap between steps ms': r.maxGapMs,
          'update_cache wait ms': r.waitMs,
        });
        figures.push({
          name: `epoch, replace_rate ${rate}, ${threads}`,
          value: r.epochMs,
          unit: 'ms',
          threads,
          replaceRate: rate,
          replacedPerEpoch: r.replacedPerEpoch,
          mainActiveMs: r.activeMs,
          extraMainMsPerItem: extra,
          maxGapBetweenStepsMs: r.maxGapMs,
          updateCacheWaitMs: r.waitMs,
        });
      }
    }
    printTable(rows);
    const aloneRows: Record<string, string | number>[] = [];
    for (const threads of ['main', 'worker'] as const) {
      const a = await alone(entries(CACHE * 3), threads);
      aloneRows.push({
        'replacement alone (main thread idle)': threads === 'main' ? 'main thread' : 'worker threads',
        'main-thread active ms/item': a.activeMsPerItem,
        'wall ms/item (2 in flight)': a.wallMsPerItem,
      });
      figures.push({
        name: `replacement alone, ${threads}: main-thread time per item`,
        value: a.activeMsPerItem,
        unit: 'ms',
        threads,
        wallMsPerItem: a.wallMsPerItem,
      });
    }
    printTable(aloneRows);
    writeResults('smartcache', figures, {
      quick,
      data: real ? 'mricron ch2 + ch2bet>0 label (181x217x181)' : 'synthetic 160x192x160',
      cacheNum: CACHE,
      epochs: EPOCHS,
      stepMs: STEP_MS,
      numReplaceWorkers: 2,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
