// npm run bench -- transforms [--quick] [--ops=WORD]
// Per transform kernel: voxels/s native with 1 and 2 threads, voxels/s of the plain-TS
// reference, speedup; volumes 128³ and 256³ float32. Then a SmartCache epoch (samples/s with
// replacement running) and, when python3 imports monai, the same pipeline in MONAI on the
// same volumes with the ratio. Writes benchmarks/results/transforms.json.
//
// Roofline: a native bandwidth probe (read-only reduce, copy, fill; 1 and 2 threads, at each
// op's working-set size) and, per op, the bytes it must move per output voxel give the
// memory-speed bound in voxels/s; reported per op and size are the native kernel's fraction of
// it and the speedup ceiling (bound / TS reference voxels/s).
//
// Output allocation: the existing "native N thread(s)" figures time the kernel writing into a
// preallocated output (kernel only), while the TS reference allocates its output on every call
// (as it always did). The "fresh output" figures time the native op the way
// src/transforms/kernels.ts runs it (a new Float32Array per call, first-touch page faults
// included), which is the same allocation treatment as the TS reference: the "fair" speedup.
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
// --ops=WORD runs only the ops whose name contains WORD and skips the pipeline parts (development)
const only = process.argv.find((a) => a.startsWith('--ops='))?.slice(6);
const N = native();
const T = N.transforms;
const threadsBefore = N.info().threads;

function volume(s: Shape3): { image: Float32Array; label: Float32Array } {
  const n = s[0] * s[1] * s[2];
  const image = new Float32Array(n),
    label = new Float32Array(n);
  const r = new Rng(1);
  const c = s.map((d) => d / 2);
  for (let i = 0; i < s[0]; i++)
    for (let j = 0; j < s[1]; j++)
      for (let k = 0; k < s[2]; k++) {
        const v = (i * s[1] + j) * s[2] + k;
        const d = Math.hypot((i - c[0]) / c[0], (j - c[1]) / c[1], (k - c[2]) / c[2]);
        image[v] = d < 0.8 ? 40 + 80 * (1 - d) + r.normal(0, 5) : 0;
        label[v] = d < 0.3 ? 1 : 0;
      }
  return { image, label };
}

interface Op {
  name: string;
  outVoxels: number;
  nat: () => unknown;
  ref: () => unknown;
  /** bytes the op must read and write per output voxel (its roofline traffic) */
  rd: number;
  wr: number;
  /** the native op with a fresh output per call (as kernels.ts does); absent when the op has no output array */
  natFresh?: () => unknown;
}

function ops(s: Shape3, image: Float32Array, label: Float32Array): Op[] {
  const n = s[0] * s[1] * s[2];
  const a = 0.2,
    sc = 1.25;
  const os = s.map((d) => Math.round(d / sc)) as Shape3;
  const xform = [sc * Math.cos(a), -sc * Math.sin(a), 0, 3, sc * Math.sin(a), sc * Math.cos(a), 0, -2, 0, 0, sc, 1];
  const xf = Float64Array.from(xform);
  const zoom = [sc, 0, 0, 0.125, 0, sc, 0, 0.125, 0, 0, sc, 0.125];
  const zf = Float64Array.from(zoom);
  // a 3D rotation (about the axis (1,1,1)/sqrt3 by 0.2 rad) + zoom: the general path
  const u = 1 / Math.sqrt(3),
    ca = Math.cos(a),
    sa = Math.sin(a),
    t1 = 1 - ca;
  const R = [
    ca + u * u * t1,
    u * u * t1 - u * sa,
    u * u * t1 + u * sa,
    u * u * t1 + u * sa,
    ca + u * u * t1,
    u * u * t1 - u * sa,
    u * u * t1 - u * sa,
    u * u * t1 + u * sa,
    ca + u * u * t1,
  ];
  const rot3 = [sc * R[0], sc * R[1], sc * R[2], 2, sc * R[3], sc * R[4], sc * R[5], -3, sc * R[6], sc * R[7], sc * R[8], 1];
  const r3f = Float64Array.from(rot3);
  const on = os[0] * os[1] * os[2];
  const out = new Float32Array(n),
    outR = new Float32Array(on);
  const cs = s.map((d) => Math.floor((d * 3) / 4)) as Shape3,
    cst = s.map((d) => Math.floor(d / 8)) as Shape3;
  const cn = cs[0] * cs[1] * cs[2],
    outC = new Float32Array(cn),
    out3 = new Float32Array(3 * n);
  const lab3 = label.map((v, i) => (v ? 1 + (i % 2) : 0));
  const ref = fgBgIndicesRef(label, 1, image, 1, n, 0);
  const idxBytes = (4 * (ref.fg.length + ref.bg.length)) / n;
  const f32 = (len: number) => new Float32Array(len);
  return [
    {
      name: 'resample trilinear (rot+zoom)',
      outVoxels: on,
      rd: (4 * n) / on,
      wr: 4,
      nat: () => T.resample(image, 1, s, outR, os, xf, 1, 1, false),
      natFresh: () => T.resample(image, 1, s, f32(on), os, xf, 1, 1, false),
      ref: () => resampleRef(image, 1, s, os, xform, 'linear', 'border'),
    },
    {
      name: 'resample nearest (rot+zoom)',
      outVoxels: on,
      rd: (4 * n) / on,
      wr: 4,
      nat: () => T.resample(label, 1, s, outR, os, xf, 0, 1, false),
      natFresh: () => T.resample(label, 1, s, f32(on), os, xf, 0, 1, false),
      ref: () => resampleRef(label, 1, s, os, xform, 'nearest', 'border'),
    },
    {
      name: 'resample trilinear (zoom, Spacingd)',
      outVoxels: on,
      rd: (4 * n) / on,
      wr: 4,
      nat: () => T.resample(image, 1, s, outR, os, zf, 1, 1, false),
      natFresh: () => T.resample(image, 1, s, f32(on), os, zf, 1, 1, false),
      ref: () => resampleRef(image, 1, s, os, zoom, 'linear', 'border'),
    },
    {
      name: 'resample trilinear (3D rotation)',
      outVoxels: on,
      rd: (4 * n) / on,
      wr: 4,
      nat: () => T.resample(image, 1, s, outR, os, r3f, 1, 1, false),
      natFresh: () => T.resample(image, 1, s, f32(on), os, r3f, 1, 1, false),
      ref: () => resampleRef(image, 1, s, os, rot3, 'linear', 'border'),
    },
    {
      name: 'scale intensity range + clip',
      outVoxels: n,
      rd: 4,
      wr: 4,
      nat: () => T.affineIntensity(image, out, 1 / 221, 57 / 221, true, 0, 1, false),
      natFresh: () => T.affineIntensity(image, f32(n), 1 / 221, 57 / 221, true, 0, 1, false),
      ref: () => affineIntensityRef(image, 1 / 221, 57 / 221, true, 0, 1),
    },
    {
      name: 'normalize (moments + apply)',
      outVoxels: n,
      rd: 8,
      wr: 4,
      nat: () => {
        T.moments(image, false);
        T.normalize(image, out, 10, 0.1, false, false);
      },
      natFresh: () => {
        T.moments(image, false);
        T.normalize(image, f32(n), 10, 0.1, false, false);
      },
      ref: () => normalizeRef(image, 10, 0.1, false),
    },
    {
      name: 'flip (all axes)',
      outVoxels: n,
      rd: 4,
      wr: 4,
      nat: () => T.flip(image, out, 1, s, 7, false),
      natFresh: () => T.flip(image, f32(n), 1, s, 7, false),
      ref: () => flipRef(image, 1, s, 7),
    },
    {
      name: 'rot90 (axes 0,1)',
      outVoxels: n,
      rd: 4,
      wr: 4,
      nat: () => T.rot90(image, out, 1, s, 1, 0, 1, false),
      natFresh: () => T.rot90(image, f32(n), 1, s, 1, 0, 1, false),
      ref: () => rot90Ref(image, 1, s, 1, 0, 1),
    },
    {
      name: 'crop 3/4',
      outVoxels: cn,
      rd: 4,
      wr: 4,
      nat: () => T.cropPad(image, outC, 1, s, cs, cst, 0, false),
      natFresh: () => T.cropPad(image, f32(cn), 1, s, cs, cst, 0, false),
      ref: () => cropPadRef(image, 1, s, cs, cst, 0),
    },
    {
      name: 'gaussian noise',
      outVoxels: n,
      rd: 4,
      wr: 4,
      nat: () => T.gaussianNoise(image, out, 5, 0, 0.1, false),
      natFresh: () => T.gaussianNoise(image, f32(n), 5, 0, 0.1, false),
      ref: () => gaussianNoiseRef(image, 5, 0, 0.1),
    },
    // both sides allocate their index arrays (native: malloc'd, adopted by JS without a copy)
    {
      name: 'fg/bg indices',
      outVoxels: n,
      rd: 8,
      wr: idxBytes,
      nat: () => T.fgBgIndices(label, 1, image, 1, n, 0, false),
      ref: () => fgBgIndicesRef(label, 1, image, 1, n, 0),
    },
    { name: 'bounding box', outVoxels: n, rd: 4, wr: 0, nat: () => T.boundingBox(image, 1, s, 0), ref: () => boundingBoxRef(image, 1, s, 0) },
    {
      name: 'one-hot (3 classes)',
      outVoxels: 3 * n,
      rd: 4 / 3,
      wr: 4,
      nat: () => T.oneHot(lab3, out3, n, 3, false),
      natFresh: () => T.oneHot(lab3, f32(3 * n), n, 3, false, true),
      ref: () => oneHotRef(lab3, n, 3),
    },
  ];
}

class SlowLoad extends Transform {
  readonly name = 'SyntheticVolume';
  constructor(
    private readonly vols: { image: Float32Array; label: Float32Array },
    private readonly s: Shape3,
  ) {
    super();
  }
  async apply(x: Sample): Promise<Sample> {
    const meta = {
      affine: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
      original_affine: [],
      spatial_shape: this.s,
      pixdim: [1, 1, 1],
      filename_or_obj: String(x.id),
    };
    return {
      ...x,
      image: { data: this.vols.image.slice(), shape: [1, ...this.s] },
      label: { data: this.vols.label.slice(), shape: [1, ...this.s] },
      image_meta_dict: meta,
      label_meta_dict: { ...meta },
    };
  }
}

function pipeline(load: Transform, crop = 64): Compose {
  const keys = ['image', 'label'];
  return new Compose(
    [
      load,
      new Spacingd(keys, [1.25, 1.25, 1.25], { mode: ['bilinear', 'nearest'] }),
      new ScaleIntensityRanged(['image'], { a_min: -57, a_max: 164, b_min: 0, b_max: 1, clip: true }),
      new CropForegroundd(keys, 'image'),
      new RandCropByPosNegLabeld(keys, 'label', [crop, crop, crop], { num_samples: 4, image_key: 'image' }),
      new RandFlipd(keys, 1, 0),
      new RandGaussianNoised(['image'], 1, 0, 0.1),
    ],
    0,
  );
}

// Best of `reps` runs after `warmup` (the minimum): the machine is shared (load ~4 on 2 vCPUs
// while others work), so every side (native, TS reference, probes) is timed the same way.
async function timeBest(fn: () => unknown, reps: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

// Bandwidth probe: bytes/s of a read-only reduce, a copy (bytes read + written) or a fill
// over `bytes` of float32, with `th` threads; cached per (kind, size, threads).
const bwCache = new Map<string, number>();
async function bandwidth(kind: 0 | 1 | 2 | 3 | 4, bytes: number, th: number): Promise<number> {
  const len = Math.max(1 << 14, Math.round(bytes / 4 / 4096) * 4096);
  const key = `${kind}:${len}:${th}`;
  const hit = bwCache.get(key);
  if (hit) return hit;
  const src = new Float32Array(len).fill(1),
    dst = new Float32Array(len).fill(0);
  N.setNumThreads(th);
  const t = await timeBest(() => T.memProbe(kind, src, dst), len >= 1 << 23 ? 7 : 11, 2);
  N.setNumThreads(threadsBefore);
  const v = ((kind === 1 || kind === 3 ? 2 : 1) * 4 * len) / t;
  bwCache.set(key, v);
  return v;
}
/** The memory-speed bound of an op in output voxels/s: its bytes per voxel at the best of 1 and 2 threads
 * of the matching probe (read-only, fill-only, or copy for read+write; regular or streaming stores,
 * whichever is faster), sized to its working set. */
async function roofline(op: Op): Promise<{ vps: number; probe: string; bw: number }> {
  const total = (op.rd + op.wr) * op.outVoxels;
  const kinds: (0 | 1 | 2 | 3 | 4)[] = op.wr === 0 ? [0] : op.rd === 0 ? [2, 4] : [1, 3];
  const bytes = kinds[0] === 1 ? total / 2 : total;
  let bw = 0,
    probe = '';
  for (const k of kinds)
    for (const th of [1, 2]) {
      const v = await bandwidth(k, bytes, th);
      if (v > bw) {
        bw = v;
        probe = `${['read', 'copy', 'fill', 'stream copy', 'stream fill'][k]} ${th}t`;
      }
    }
  return { vps: bw / (op.rd + op.wr), probe, bw };
}

async function main(): Promise<void> {
  const loadStart = (await import('node:os')).loadavg();
  const figures: Figure[] = [];
  const bwRows: Record<string, string | number>[] = [];
  const rows: Record<string, string | number>[] = [];
  const sizes: number[] = quick ? [64] : [128, 256];
  const vols = new Map<number, { image: Float32Array; label: Float32Array }>();
  for (const d of sizes) {
    const s: Shape3 = [d, d, d];
    const v = volume(s);
    vols.set(d, v);
    for (const op of ops(s, v.image, v.label).filter((o) => !only || o.name.includes(only))) {
      const res: Record<string, number> = {};
      for (const th of [1, 2]) {
        N.setNumThreads(th);
        res[`t${th}`] = await timeBest(op.nat, d >= 256 ? 5 : 7, 1);
      }
      N.setNumThreads(2);
      if (op.natFresh) res.fresh = await timeBest(op.natFresh, d >= 256 ? 5 : 7, 1);
      N.setNumThreads(threadsBefore);
      res.ref = await timeBest(op.ref, d >= 256 ? 2 : 3, d >= 256 ? 0 : 1);
      const vps = (t: number) => op.outVoxels / t;
      const roof = await roofline(op);
      const fresh = res.fresh ?? res.t2;
      const row = {
        op: op.name,
        size: `${d}^3`,
        'native 1t Mvox/s': vps(res.t1) / 1e6,
        'native 2t Mvox/s': vps(res.t2) / 1e6,
        'TS ref Mvox/s': vps(res.ref) / 1e6,
        'speedup 1t': res.ref / res.t1,
        'speedup 2t': res.ref / res.t2,
        'fresh-out Mvox/s': vps(fresh) / 1e6,
        'fair speedup': res.ref / fresh,
        'B/vox': op.rd + op.wr,
        'roofline Mvox/s': roof.vps / 1e6,
        'of roofline': Math.max(vps(res.t1), vps(res.t2)) / roof.vps,
        ceiling: roof.vps / vps(res.ref),
      };
      rows.push(row);
      const base = { op: op.name, size: d };
      figures.push({ name: `${op.name} ${d}^3 native 1 thread`, value: vps(res.t1), unit: 'voxels/s', ...base, threads: 1 });
      figures.push({ name: `${op.name} ${d}^3 native 2 threads`, value: vps(res.t2), unit: 'voxels/s', ...base, threads: 2 });
      figures.push({ name: `${op.name} ${d}^3 TS reference`, value: vps(res.ref), unit: 'voxels/s', ...base });
      figures.push({ name: `${op.name} ${d}^3 speedup (2 threads vs TS)`, value: res.ref / res.t2, unit: 'x', ...base });
      figures.push({
        name: `${op.name} ${d}^3 native 2 threads, fresh output`,
        value: vps(fresh),
        unit: 'voxels/s',
        ...base,
        threads: 2,
        freshOutput: op.natFresh !== undefined,
      });
      figures.push({ name: `${op.name} ${d}^3 speedup fair (fresh output both sides)`, value: res.ref / fresh, unit: 'x', ...base });
      figures.push({
        name: `${op.name} ${d}^3 roofline`,
        value: roof.vps,
        unit: 'voxels/s',
        ...base,
        bytesPerVoxelRead: op.rd,
        bytesPerVoxelWritten: op.wr,
        probe: roof.probe,
        probeBytesPerSecond: roof.bw,
      });
      figures.push({ name: `${op.name} ${d}^3 native fraction of roofline`, value: Math.max(vps(res.t1), vps(res.t2)) / roof.vps, unit: 'fraction', ...base });
      figures.push({ name: `${op.name} ${d}^3 speedup ceiling (roofline vs TS)`, value: roof.vps / vps(res.ref), unit: 'x', ...base });
      console.error(`${op.name} ${d}^3 done`);
    }
  }
  for (const d of sizes) {
    const bytes = 4 * d ** 3;
    const r: Record<string, string | number> = { 'bandwidth GB/s': `${d}^3 float32 (${bytes / 2 ** 20} MiB)` };
    for (const [kind, nm] of [
      [0, 'read'],
      [1, 'copy'],
      [2, 'fill'],
      [3, 'stream copy'],
      [4, 'stream fill'],
    ] as const) {
      for (const th of [1, 2]) {
        const v = await bandwidth(kind, bytes, th);
        r[`${nm} ${th}t`] = v / 1e9;
        figures.push({ name: `bandwidth ${nm} ${d}^3 ${th} thread${th > 1 ? 's' : ''}`, value: v, unit: 'bytes/s', size: d, threads: th, bytes });
      }
    }
    // first touch: a fresh Float32Array filled by the native probe (page faults + zeroing included)
    const tf = await timeBest(() => T.memProbe(2, null, new Float32Array(d ** 3)), d >= 256 ? 5 : 7, 1);
    r['fresh fill'] = bytes / tf / 1e9;
    figures.push({ name: `bandwidth first-touch fill ${d}^3 (new Float32Array + fill)`, value: bytes / tf, unit: 'bytes/s', size: d });
    bwRows.push(r);
  }
  printTable(bwRows);
  printTable(rows);
  if (only) return;

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
        const r = spawnSync(
          'python3',
          [
            join('benchmarks', 'transforms_monai.py'),
            join(dir, 'i.raw'),
            join(dir, 'l.raw'),
            String(d),
            String(d),
            String(d),
            '3',
            '2',
            String(Math.min(64, Math.floor(d / 3))),
          ],
          { encoding: 'utf8' },
        );
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
  const sc = new SmartCacheDataset(
    Array.from({ length: 12 }, (_, id) => ({ id })),
    pipeline(new SlowLoad(vols.get(d)!, s), Math.min(64, Math.floor(d / 3))),
    { cacheNum: 6, replaceRate: 0.5, numInitWorkers: 2, numReplaceWorkers: 2, seed: 0, progress: false },
  );
  const loader = new DataLoader(sc, { batchSize: 2, shuffle: true, seed: 0, prefetch: 2 });
  let samples = 0,
    waits = 0;
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
  const load = (await import('node:os')).loadavg();
  writeResults('transforms', figures, {
    native: N.info(),
    quick,
    loadavg: load,
    loadavgAtStart: loadStart,
    note:
      'Per-op timings are the best of N runs (minimum; native 7/5 runs at 128^3/256^3, TS reference 3/2, probes 11/7) on both sides, because the machine is shared; earlier results used medians. ' +
      'native N thread(s): kernel into a preallocated output; TS reference: allocates its output each call (unchanged reference). ' +
      '"fresh output" / "speedup fair": the native op also allocates a new Float32Array per call (as src/transforms/kernels.ts does), the same treatment as the reference. ' +
      'fg/bg indices: both sides allocate their index arrays. roofline = probe bandwidth (best of 1 and 2 threads; read-only reduce, copy or fill at the working-set size) / bytes per output voxel (bytesPerVoxelRead + bytesPerVoxelWritten); ceiling = roofline / TS reference voxels/s.',
  });
}

await main();
