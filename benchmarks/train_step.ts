// npm run bench -- train_step [--reps N] [--full] [--no-torch] [--models-only] [--models LIST] [--model-reps N]
// Model section (benchmarks/lib/model-step-bench.ts): the product's models — the synthetic
// example's MONAI UNet, the Clara examples' UNet and SegResNet — and the ReLU UNet below at both
// sizes (benchmarks/lib/model-workloads.ts)
// — on cpu-native fp32 / use_amp, tfjs-node, PyTorch fp32 and PyTorch bf16 autocast, interleaved
// step by step; --model-reps (default 9; unet-clara: 5, its steps are long); --models-only
// skips the ReLU UNet section below.
// Step time of a fixed small 3D UNet (benchmarks/unet3d.ts; batch 2, Adam, soft
// Dice) with the native kernels (fp32 and AMP bf16) vs pure tfjs 'cpu', and vs
// PyTorch on the CPU running the same architecture (benchmarks/train_step_torch.py)
// when `import torch` works. Configs: F=8 at 32³ and F=16 at 64³. Pure tfjs on
// the large config takes minutes per step: it runs only with --full.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels } from '../src/engine/native-kernels.js';
import { setAmp } from '../src/engine/amp.js';
import { native } from '../src/native/loader.js';
import { makeBatch, makeParams, trainStep, upsample2, upsample2Tile, type Upsample } from './unet3d.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';
import { benchModelSteps } from './lib/model-step-bench.js';
import { MODEL_WORKLOAD_NAMES, type ModelWorkload } from './lib/model-workloads.js';

const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1]) || 3;
const full = args.includes('--full');
const withTorch = !args.includes('--no-torch');
const modelsOnly = args.includes('--models-only');
const modelReps = args.includes('--model-reps') ? Number(args[args.indexOf('--model-reps') + 1]) : undefined;
const models = (args.includes('--models') ? args[args.indexOf('--models') + 1].split(',') : MODEL_WORKLOAD_NAMES) as ModelWorkload[];
for (const m of models) if (!MODEL_WORKLOAD_NAMES.includes(m)) throw new Error(`train_step: unknown model '${m}'; expected ${MODEL_WORKLOAD_NAMES.join(', ')}`);
const here = dirname(fileURLToPath(import.meta.url));
const load0 = loadavg()[0];
await tf.setBackend('cpu');
native().setNumThreads(2);

const CONFIGS = [
  { name: 'small', F: 8, D: 32 },
  { name: 'large', F: 16, D: 64 },
];

function run(F: number, D: number, n: number, warmup: number, up: Upsample = upsample2): { times: number[]; cpus: number[]; losses: number[] } {
  const P = makeParams(F, 1);
  const { x, y } = makeBatch(D, 2);
  const opt = tf.train.adam(1e-3);
  const times: number[] = [],
    cpus: number[] = [],
    losses: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const l = trainStep(P, opt, x, y, up);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    if (i >= warmup) {
      times.push(s);
      cpus.push((c.user + c.system) / 1e6);
    }
    losses.push(l);
  }
  tf.dispose([x, y, ...Object.values(P)]);
  opt.dispose();
  return { times, cpus, losses };
}

async function profile(F: number, D: number): Promise<{ kernel: string; ms: number; percent: number }[]> {
  const P = makeParams(F, 1);
  const { x, y } = makeBatch(D, 2);
  const opt = tf.train.adam(1e-3);
  trainStep(P, opt, x, y);
  const info = await tf.profile(() => {
    trainStep(P, opt, x, y);
  });
  const by: Record<string, number> = {};
  let total = 0;
  for (const k of info.kernels) {
    const t = Number(k.kernelTimeMs) || 0;
    by[k.name] = (by[k.name] ?? 0) + t;
    total += t;
  }
  tf.dispose([x, y, ...Object.values(P)]);
  opt.dispose();
  return Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([kernel, ms]) => ({ kernel, ms, percent: (100 * ms) / total }));
}

const figures: Figure[] = [];
const rows: Record<string, string | number>[] = [];
const extra: Record<string, unknown> = {};
const record = (cfg: (typeof CONFIGS)[number], impl: string, times: number[], more: Record<string, string | number | boolean | null> = {}) => {
  const med = median(times);
  figures.push({
    name: `${cfg.name} UNet F=${cfg.F} ${cfg.D}³ batch 2 step: ${impl}`,
    value: med,
    unit: 's',
    config: cfg.name,
    F: cfg.F,
    D: cfg.D,
    batch: 2,
    impl,
    reps: times.length,
    best_s: Math.min(...times),
    ...more,
  });
  rows.push({
    config: `F=${cfg.F} ${cfg.D}³`,
    impl,
    'median s': med,
    'best s': Math.min(...times),
    'cpu s': typeof more.cpu_s === 'number' ? more.cpu_s : '',
    reps: times.length,
  });
  return med;
};

for (const cfg of modelsOnly ? [] : CONFIGS) {
  registerNativeKernels();
  setAmp(false);
  const nat = run(cfg.F, cfg.D, reps, 2);
  const tNat = record(cfg, 'native fp32', nat.times, { cpu_s: median(nat.cpus) });
  setAmp(true);
  const amp = run(cfg.F, cfg.D, reps, 2);
  setAmp(false);
  record(cfg, 'native bf16 (use_amp)', amp.times, { cpu_s: median(amp.cpus) });
  // the same step with the up-sampling written as three rank-3 tiles (this benchmark's UNet
  // before the native UpSampling3D kernel): Tile + its gradient instead of one kernel each
  const tiled = run(cfg.F, cfg.D, reps, 2, upsample2Tile);
  record(cfg, 'native fp32, tile up-sampling', tiled.times, { cpu_s: median(tiled.cpus) });
  extra[`loss_${cfg.name}_tile_vs_kernel_upsampling`] = { tile: tiled.losses, kernel: nat.losses };
  extra[`profile_native_${cfg.name}`] = await profile(cfg.F, cfg.D);

  unregisterNativeKernels();
  if (cfg.name === 'small' || full) {
    const pure = run(cfg.F, cfg.D, 1, 1);
    const tPure = record(cfg, 'pure tfjs cpu', pure.times);
    figures.push({ name: `${cfg.name}: speed-up native fp32 vs pure tfjs`, value: tPure / tNat, unit: 'x', config: cfg.name });
    // same seed, same data: the loss curves agree
    extra[`loss_${cfg.name}`] = { native: nat.losses, pure: pure.losses };
  } else {
    figures.push({
      name: `${cfg.name} UNet step: pure tfjs cpu`,
      value: null as unknown as number,
      unit: 's',
      config: cfg.name,
      skipped: 'minutes per step on this machine; run with --full',
    });
  }
  registerNativeKernels();

  if (withTorch) {
    const py = spawnSync('python3', [join(here, 'train_step_torch.py'), String(cfg.D), String(cfg.F), String(reps), '2'], {
      encoding: 'utf8',
      timeout: 1_800_000,
    });
    const line = py.stdout?.trim().split('\n').pop() ?? '';
    if (py.status === 0 && line.startsWith('{')) {
      const r = JSON.parse(line) as { torch: string; step_s: number[]; cpu_s?: number[]; mkldnn: boolean };
      const cpuTorch = r.cpu_s ? median(r.cpu_s) : null;
      const tTorch = record(cfg, `pytorch ${r.torch} cpu`, r.step_s, { mkldnn: r.mkldnn, cpu_s: cpuTorch });
      figures.push({ name: `${cfg.name}: speed-up native fp32 vs pytorch`, value: tTorch / tNat, unit: 'x', config: cfg.name });
      // CPU seconds per step (both use 2 threads) are far less sensitive than wall time to
      // the other engineers' load, which changes between the two measurements
      if (cpuTorch !== null)
        figures.push({ name: `${cfg.name}: CPU-time ratio pytorch / native fp32`, value: cpuTorch / median(nat.cpus), unit: 'x', config: cfg.name });
    } else {
      figures.push({
        name: `${cfg.name} UNet step: pytorch`,
        value: null as unknown as number,
        unit: 's',
        skipped: `python3 train_step_torch.py failed: ${(py.stderr || String(py.error)).split('\n').slice(-2).join(' ')}`,
      });
    }
  }
}

for (const m of models) {
  const r = await benchModelSteps(m, { reps: modelReps ?? (m === 'unet-clara' ? 5 : 9), warmup: 2, threads: 2, withTorch, here });
  figures.push(...r.figures);
  rows.push(...r.rows);
}

printTable(rows);
for (const f of figures.filter((f) => f.unit === 'x')) console.log(`${f.name}: ${f.value.toFixed(2)}x`);
if (extra.profile_native_small) {
  console.log('profile of a native small step (top kernels):');
  printTable((extra.profile_native_small as { kernel: string; ms: number; percent: number }[]).map((p) => ({ kernel: p.kernel, ms: p.ms, '%': p.percent })));
}
writeResults('train_step', figures, {
  note: 'Median step seconds (after two warm-up steps — the first steps of a process grow the heap; pure tfjs: one warm-up, one timed step). 2 threads for native and PyTorch. Implementations ran one after another in the same run; the 1-minute load averages before and after are below (the 2 vCPUs act as two cores only when nothing else runs: above a load of ~1.5 absolute times are inflated and noisy, and run-to-run spread was about ±10 % even when quiet).',
  reps,
  loadavg_before: load0,
  loadavg_after: loadavg()[0],
  ...extra,
});
