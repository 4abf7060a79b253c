// npm run bench -- step_profile [--models unet-example,segresnet] [--reps N] [--threads T] [--amp]
// Where a training step of the product's models goes on cpu-native: tfjs's profile() of one
// step (after a warm-up step), kernel times summed by kernel name, with each kernel's share
// of the summed time and whether the addon ran it (native) or tfjs's pure-JS kernel did; plus
// the median wall time of N plain steps, and the same steps with the kernels' output pool
// (src/engine/output-pool.ts) off, interleaved step by step (`<model>: speed-up output pool on vs
// off`). --amp profiles the use_amp step (bf16 convolutions) instead of fp32; its figures are
// named `... (use_amp)`. Models: benchmarks/lib/model-workloads.ts.
// → benchmarks/results/step_profile.json (--amp: step_profile_amp.json) (about 2 min on a quiet machine with the defaults)
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, nativeCallCounts } from '../src/engine/native-kernels.js';
import { native } from '../src/native/loader.js';
import { setAmp } from '../src/engine/amp.js';
import { installOutputPool, uninstallOutputPool, type PoolableBackend } from '../src/engine/output-pool.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';
import { MODEL_WORKLOAD_NAMES, modelStep, type ModelWorkload } from './lib/model-workloads.js';

const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const reps = Number(opt('--reps')) || 3;
const threads = Number(opt('--threads')) || 2;
const amp = args.includes('--amp');
const models = (opt('--models')?.split(',') ?? ['unet-example', 'segresnet']) as ModelWorkload[];
for (const m of models)
  if (!MODEL_WORKLOAD_NAMES.includes(m)) throw new Error(`step_profile: unknown model '${m}'; expected ${MODEL_WORKLOAD_NAMES.join(', ')}`);
const load0 = loadavg()[0];
await tf.setBackend('cpu');
registerNativeKernels();
native().setNumThreads(threads);
setAmp(amp);
const tag = amp ? ' (use_amp)' : '';

const figures: Figure[] = [];
const profiles: Record<string, { kernel: string; ms: number; percent: number; calls: number; native: boolean }[]> = {};
for (const m of models) {
  const r = modelStep(m);
  r.step();
  const before = { ...nativeCallCounts };
  const info = await tf.profile(() => {
    r.step();
  });
  const by = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const t = Number(k.kernelTimeMs) || 0;
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += t;
    e.calls++;
    by.set(k.name, e);
    total += t;
  }
  const ranNative = (name: string) => (nativeCallCounts[name] ?? 0) > (before[name] ?? 0);
  profiles[m] = [...by]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([kernel, e]) => ({ kernel, ms: e.ms, percent: (100 * e.ms) / total, calls: e.calls, native: ranNative(kernel) }));
  const times: number[] = [],
    noPool: number[] = [];
  const cpu = tf.findBackend('cpu') as unknown as PoolableBackend;
  for (let i = 0; i < reps; i++) {
    for (const pool of [true, false]) {
      if (pool) installOutputPool(cpu);
      else uninstallOutputPool();
      r.step(); // the first step after a switch refills (or empties) the pool
      const t0 = process.hrtime.bigint();
      r.step();
      (pool ? times : noPool).push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  installOutputPool(cpu);
  r.dispose();
  const nonNative = profiles[m].filter((p) => !p.native).reduce((a, p) => a + p.percent, 0);
  figures.push({ name: `${m} train step: cpu-native${tag}`, value: median(times), unit: 's', reps, threads });
  figures.push({ name: `${m}${tag}: share of kernel time in tfjs's pure-JS kernels`, value: nonNative, unit: '%' });
  figures.push({ name: `${m} train step: cpu-native${tag}, output pool off`, value: median(noPool), unit: 's', reps, threads });
  figures.push({ name: `${m}${tag}: speed-up output pool on vs off`, value: median(noPool) / median(times), unit: 'x' });
  console.log(
    `\n${m}: step ${median(times).toFixed(3)} s (median of ${reps}; output pool off: ${median(noPool).toFixed(3)} s), kernel time ${total.toFixed(0)} ms, ${nonNative.toFixed(1)}% outside the addon`,
  );
  printTable(profiles[m].slice(0, 20).map((p) => ({ kernel: p.kernel, ms: p.ms, '%': p.percent, calls: p.calls, native: p.native ? 'yes' : '' })));
}
writeResults(amp ? 'step_profile_amp' : 'step_profile', figures, { threads, load_before: load0, load_after: loadavg()[0], profiles });
