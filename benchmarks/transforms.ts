// npm run bench -- transforms [--quick]
// Per transform kernel: voxels/s native with 1 and 2 threads, voxels/s of the plain-TS
// reference, speedup; volumes 128³ and 256³ float32. Then a SmartCache epoch (samples/s with
// replacement running) and, when python3 imports monai, the same pipeline in MONAI on the
// same volumes with the ratio. Writes benchmarks/results/transforms.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../src/native/index.js';
import type { Shape3 } from '../src/native/transforms.js';
import { Rng } from '../src/util/random.js';
import { resampleRef } from '../src/transforms/ops/resample.js';
import { affineIntensityRef, normalizeRef } from '../src/transforms/ops/intensity.js';
import { cropPadRef, flipRef, rot90Ref } from '../src/transforms/ops/spatial.js';
import { gaussianNoiseRef } from '../src/transforms/ops/noise.js';
import { boundingBoxRef, fgBgIndicesRef, oneHotRef } from '../src/transforms/ops/label.js';
import { Compose } from '../src/transforms/compose.js';
import { Transform } from '../src/transforms/base.js';
import { ScaleIntensityRanged, RandGaussianNoised } from '../src/transforms/intensity-transforms.js';
import { CropForegroundd, RandCropByPosNegLabeld, RandFlipd, Spacingd } from '../src/transforms/spatial-transforms.js';
import { SmartCacheDataset } from '../src/data/smart-cache-dataset.js';
import { DataLoader } from '../src/data/data-loader.js';
import type { Sample } from '../src/transforms/types.js';
import { printTable, timeMedian, writeResults, type Figure } from './lib/results.js';

const quick = process.argv.includes('--quick');
const N = native();
const T = N.transforms;
const threadsBefore = N.info().threads;

function volume(s: Shape3): { image: Float32Array; label: Float32Array } {
  const n = s[0] * s[1] * s[2];
  const image = new Float32Array(n), label = new Float32Array(n);
  const r = new Rng(1);
  const c = s.map((d) => d / 2);
  for (let i = 0; i < s[0]; i++) for (let j = 0; j < s[1]; j++) for (let k = 0; k < s[2]; k++) {
    const v = (i * s[1] + j) * s[2] + k;
    const d = Math.hypot((i - c[0]) / c[0], (j - c[1]) / c[1], (k - c[2]) / c[2]);
    image[v] = d < 0.8 ? 40 + 80 * (1 - d) + r.normal(0, 5) : 0;
    label[v] = d < 0.3 ? 1 : 0;
  }
  return { image, label };
}

interface Op { name: string; outVoxels: number; nat: () => unknown; ref: () => unknown }

function ops(s: Shape3, image: Float32Array, label: Float32Array): Op[] {
  const n = s[0] * s[1] * s[2];
  const a = 0.2, sc = 1.25;
  const os = s.map((d) => Math.round(d / sc)) as Shape3;
  const xform = [sc * Math.cos(a), -sc * Math.sin(a), 0, 3, sc * Math.sin(a), sc * Math.cos(a), 0, -2, 0, 0, sc, 1];
  const xf = Float64Array.from(xform);
  const on = os[0] * os[1] * os[2];
  const out = new Float32Array(n), outR = new Float32Array(on);
  const cs = s.map((d) => Math.floor((d * 3) / 4)) as Shape3, cst = s.map((d) => Math.floor(d / 8)) as Shape3;
  const cn = cs[0] * cs[1] * cs[2], outC = new Float32Array(cn), out3 = new Float32Array(3 * n);
  const lab3 = label.map((v, i) => (v ? 1 + (i % 2) : 0));
  return [
    { name: 'resample trilinear (rot+zoom)', outVoxels: on, nat: () => T.resample(image, 1, s, outR, os, xf, 1, 1, false), ref: () => resampleRef(image, 1, s, os, xform, 'linear', 'border') },
    { name: 'resample nearest (rot+zoom)', outVoxels: on, nat: () => T.resample(label, 1, s, outR, os, xf, 0, 1, false), ref: () => resampleRef(label, 1, s, os, xform, 'nearest', 'border') },
    { name: 'scale intensity range + clip', outVoxels: n, nat: () => T.affineIntensity(image, out, 1 / 221, 57 / 221, true, 0, 1, false), ref: () => affineIntensityRef(image, 1 / 221, 57 / 221, true, 0, 1) },
    { name: 'normalize (moments + apply)', outVoxels: n, nat: () => { T.moments(image, false); T.normalize(image, out, 10, 0.1, false, false); }, ref: () => normalizeRef(image, 10, 0.1, false) },
    { name: 'flip (all axes)', outVoxels: n, nat: () => T.flip(image, out, 1, s, 7, false), ref: () => flipRef(image, 1, s, 7) },
    { name: 'rot90 (axes 0,1)', outVoxels: n, nat: () => T.rot90(image, out, 1, s, 1, 0, 1, false), ref: () => rot90Ref(image, 1, s, 1, 0, 1) },
    { name: 'crop 3/4', outVoxels: cn, nat: () => T.cropPad(image, outC, 1, s, cs, cst, 0, false), ref: () => cropPadRef(image, 1, s, cs, cst, 0) },
    { name: 'gaussian noise', outVoxels: n, nat: () => T.gaussianNoise(image, out, 5, 0, 0.1, false), ref: () => gaussianNoiseRef(image, 5, 0, 0.1) },
    { name: 'fg/bg indices', outVoxels: n, nat: () => T.fgBgIndices(label, 1, image, 1, n, 0, false), ref: () => fgBgIndicesRef(label, 1, image, 1, n, 0) },
    { name: 'bounding box', outVoxels: n, nat: () => T.boundingBox(image, 1, s, 0), ref: () => boundingBoxRef(image, 1, s, 0) },
    { name: 'one-hot (3 classes)', outVoxels: 3 * n, nat: () => T.oneHot(lab3, out3, n, 3, false), ref: () => oneHotRef(lab3, n, 3) },
  ];
}

class SlowLoad extends Transform {
  readonly name = 'SyntheticVolume';
  constructor(private readonly vols: { image: Float32Array; label: Float32Array }, private readonly s: Shape3) { super(); }
  async apply(x: Sample): Promise<Sample> {
    const meta = { affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], original_affine: [], spatial_shape: this.s, pixdim: [1, 1, 1], filename_or_obj: String(x.id) };
    return { ...x, image: { data: this.vols.image.slice(), shape: [1, ...this.s] }, label: { data: this.vols.label.slice(), shape: [1, ...this.s] }, image_meta_dict: meta, label_meta_dict: { ...meta } };
  }
}

function pipeline(load: Transform, crop = 64): Compose {
  const keys = ['image', 'label'];
  return new Compose([
    load,
    new Spacingd(keys, [1.25, 1.25, 1.25], { mode: ['bilinear', 'nearest'] }),
    new ScaleIntensityRanged(['image'], { a_min: -57, a_max: 164, b_min: 0, b_max: 1, clip: true }),
    new CropForegroundd(keys, 'image'),
    new RandCropByPosNegLabeld(keys, 'label', [crop, crop, crop], { num_samples: 4, image_key: 'image' }),
    new RandFlipd(keys, 1, 0),
    new RandGaussianNoised(['image'], 1, 0, 0.1),
  ], 0);
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const rows: Record<string, string | number>[] = [];
  const sizes: number[] = quick ? [64] : [128, 256];
  const vols = new Map<number, { image: Float32Array; label: Float32Array }>();
  for (const d of sizes) {
    const s: Shape3 = [d, d, d];
    const v = volume(s);
    vols.set(d, v);
    for (const op of ops(s, v.image, v.label)) {
      const res: Record<string, number> = {};
      for (const th of [1, 2]) {
        N.setNumThreads(th);
        res[`t${th}`] = await timeMedian(op.nat, d >= 256 ? 3 : 5, 1);
      }
      N.setNumThreads(threadsBefore);
      res.ref = await timeMedian(op.ref, 1, d >= 256 ? 0 : 1);
      const vps = (t: number) => op.outVoxels / t;
      const row = { op: op.name, size: `${d}^3`, 'native 1t Mvox/s': vps(res.t1) / 1e6, 'native 2t Mvox/s': vps(res.t2) / 1e6, 'TS ref Mvox/s': vps(res.ref) / 1e6, 'speedup 1t': res.ref / res.t1, 'speedup 2t': res.ref / res.t2 };
      rows.push(row);
      const base = { op: op.name, size: d };
      figures.push({ name: `${op.name} ${d}^3 native 1 thread`, value: vps(res.t1), unit: 'voxels/s', ...base, threads: 1 });
      figures.push({ name: `${op.name} ${d}^3 native 2 threads`, value: vps(res.t2), unit: 'voxels/s', ...base, threads: 2 });
      figures.push({ name: `${op.name} ${d}^3 TS reference`, value: vps(res.ref), unit: 'voxels/s', ...base });
      figures.push({ name: `${op.name} ${d}^3 speedup (2 threads vs TS)`, value: res.ref / res.t2, unit: 'x', ...base });
      console.error(`${op.name} ${d}^3 done`);
    }
  }
  printTable(rows);

  // Whole pipeline (per volume, 4 crops out) and MONAI on the same volumes.
  const pipeRows: Record<string, string | number>[] = [];
  const monaiOk = spawnSync('python3', ['-c', 'import monai'], { stdio: 'ignore' }).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'clara-bench-'));
  try {
    for (const d of sizes) {
      const s: Shape3 = [d, d, d];
      const v = vols.get(d)!;
      const p = pipeline(new SlowLoad(v, s), Math.min(64, Math.floor(d / 3)));
      const ours = await timeMedian(() => p.apply({ id: 0 }), 3, 1);
      figures.push({ name: `pipeline ${d}^3 clara-train`, value: 1 / ours, unit: 'volumes/s', size: d });
      const row: Record<string, string | number> = { pipeline: 'Spacing→ScaleRange→CropFg→RandCropPosNeg×4→Flip→Noise', size: `${d}^3`, 'clara-train s': ours };
      if (monaiOk) {
        writeFileSync(join(dir, 'i.raw'), v.image);
        writeFileSync(join(dir, 'l.raw'), v.label);
        const r = spawnSync('python3', [join('benchmarks', 'transforms_monai.py'), join(dir, 'i.raw'), join(dir, 'l.raw'), String(d), String(d), String(d), '3', '2', String(Math.min(64, Math.floor(d / 3)))], { encoding: 'utf8' });
        if (r.status === 0) {
          const m = JSON.parse(r.stdout.trim().split('\n').pop()!);
          row['MONAI s'] = m.seconds;
          row['speed vs MONAI'] = m.seconds / ours;
          figures.push({ name: `pipeline ${d}^3 MONAI ${m.monai} (torch threads 2)`, value: 1 / m.seconds, unit: 'volumes/s', size: d });
          figures.push({ name: `pipeline ${d}^3 clara-train / MONAI speed`, value: m.seconds / ours, unit: 'x', size: d });
        } else console.error(`MONAI run failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
      } else row['MONAI s'] = 'monai not installed';
      pipeRows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(pipeRows);

  // SmartCache epoch with replacement running.
  const d = quick ? 64 : 128;
  const s: Shape3 = [d, d, d];
  const sc = new SmartCacheDataset(Array.from({ length: 12 }, (_, id) => ({ id })), pipeline(new SlowLoad(vols.get(d)!, s), Math.min(64, Math.floor(d / 3))),
    { cacheNum: 6, replaceRate: 0.5, numInitWorkers: 2, numReplaceWorkers: 2, seed: 0, progress: false });
  const loader = new DataLoader(sc, { batchSize: 2, shuffle: true, seed: 0, prefetch: 2 });
  let samples = 0, waits = 0;
  const epochs = 4;
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    for await (const b of loader.epoch(e)) samples += b.size;
    waits += sc.lastWaitMs;
  }
  const secs = (performance.now() - t0) / 1000;
  await sc.shutdown();
  figures.push({ name: `SmartCache epoch ${d}^3 (cache 6, replace 0.5, 4 crops/item)`, value: samples / secs, unit: 'samples/s', waitedMs: waits });
  printTable([{ smartcache: `${d}^3, cache_num 6, replace_rate 0.5, ${epochs} epochs`, 'samples/s': samples / secs, 'waited on replacement ms': waits }]);
  writeResults('transforms', figures, { native: N.info(), quick });
}

await main();
