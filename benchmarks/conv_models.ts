// npm run bench -- conv_models [--models unet-example,segresnet,unet-clara] [--reps N] [--threads T]
// Every convolution of one training step of the product's models on cpu-native, fp32 against
// use_amp: tfjs's profile() of whole steps (after one warm-up step of each), fp32, use_amp and a
// second fp32 step interleaved, N of each; each conv kernel call (by kernel and input shapes;
// identical calls of one step summed, their count in `calls`) gets the median of its per-step
// times and `<model> <kernel> <x>x<filter or dy>: speed-up use_amp vs fp32`, with `null_ratio`:
// the same ratio between the two fp32 steps (the run-to-run spread of identical code: on a
// loaded machine 0.5-1.5x per conv); per model the median of the steps' summed conv time,
// `<model> convs: speed-up use_amp vs fp32` (and `... fp32 vs fp32 (null)`), and how many conv
// passes of a use_amp step ran on the AMX tiles (the others run fp32, see README "use_amp").
// Models: benchmarks/lib/model-workloads.ts.
// → benchmarks/results/conv_models.json (about 1 min on a quiet machine with the defaults)
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels } from '../src/engine/native-kernels.js';
import { native } from '../src/native/loader.js';
import { setAmp } from '../src/engine/amp.js';
import { amxCallCounts, amxStatus } from '../src/native/amx.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';
import { MODEL_WORKLOAD_NAMES, modelStep, type ModelWorkload } from './lib/model-workloads.js';

const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const reps = Number(opt('--reps')) || 15;
const threads = Number(opt('--threads')) || 2;
const models = (opt('--models')?.split(',') ?? ['unet-example', 'segresnet', 'unet-clara']) as ModelWorkload[];
for (const m of models)
  if (!MODEL_WORKLOAD_NAMES.includes(m)) throw new Error(`conv_models: unknown model '${m}'; expected ${MODEL_WORKLOAD_NAMES.join(', ')}`);
if (reps < 1) throw new Error('conv_models: --reps must be at least 1');
const load0 = loadavg()[0];
await tf.setBackend('cpu');
registerNativeKernels();
native().setNumThreads(threads);
const amx = amxStatus();
console.log(`AMX: ${amx.usable ? 'yes' : `no (${amx.reason})`}; ${threads} threads, ${reps} steps of each mode`);

const MODES = ['fp32', 'use_amp', 'fp32 again'] as const;
type Mode = (typeof MODES)[number];
const amxPasses = () => {
  const c = amxCallCounts();
  return c.forward + c.backpropInput + c.backpropFilter;
};

/** One profiled step: per conv call (kernel + input shapes) the summed ms and the call count. */
async function profiledStep(step: () => void): Promise<Map<string, { ms: number; calls: number }>> {
  const info = await tf.profile(() => {
    step();
  });
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    if (!/^(Clara)?Conv3D/.test(k.name)) continue;
    const key = `${k.name} ${k.inputShapes.map((s) => JSON.stringify(s)).join('x')}`;
    const e = by.get(key) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.calls++;
    by.set(key, e);
  }
  return by;
}

const figures: Figure[] = [];
const tables: Record<string, Record<string, string | number>[]> = {};
for (const m of models) {
  const r = modelStep(m);
  const times: Record<Mode, Map<string, number[]>> = { fp32: new Map(), use_amp: new Map(), 'fp32 again': new Map() };
  const totals: Record<Mode, number[]> = { fp32: [], use_amp: [], 'fp32 again': [] };
  const calls = new Map<string, number>();
  let onAmx = 0;
  try {
    for (let i = 0; i <= reps; i++)
      for (const mode of MODES) {
        setAmp(mode === 'use_amp');
        const a0 = amxPasses();
        const by = await profiledStep(() => r.step());
        if (i === 0) continue; // warm-up
        if (mode === 'use_amp') onAmx = amxPasses() - a0;
        let total = 0;
        for (const [key, e] of by) {
          const list = times[mode].get(key) ?? [];
          list.push(e.ms);
          times[mode].set(key, list);
          calls.set(key, e.calls);
          total += e.ms;
        }
        totals[mode].push(total);
      }
  } finally {
    setAmp(false);
    r.dispose();
  }
  const rows: Record<string, string | number>[] = [];
  for (const [key, fp] of times.fp32) {
    const am = times.use_amp.get(key),
      again = times['fp32 again'].get(key);
    if (!am || !again) continue;
    const a = median(fp),
      b = median(am),
      nul = a / median(again);
    rows.push({ conv: key, calls: calls.get(key) ?? 0, 'fp32 ms': a, 'use_amp ms': b, 'speed-up': a / b, null: nul });
    figures.push({
      name: `${m} ${key}: speed-up use_amp vs fp32`,
      value: a / b,
      unit: 'x',
      fp32_ms: a,
      use_amp_ms: b,
      null_ratio: nul,
      calls: calls.get(key) ?? 0,
      reps,
      threads,
    });
  }
  const t32 = median(totals.fp32),
    tamp = median(totals.use_amp);
  figures.push({ name: `${m} convs: fp32`, value: t32, unit: 'ms', reps, threads });
  figures.push({ name: `${m} convs: use_amp`, value: tamp, unit: 'ms', reps, threads });
  figures.push({ name: `${m} convs: speed-up use_amp vs fp32`, value: t32 / tamp, unit: 'x', reps, threads });
  figures.push({ name: `${m} convs: fp32 vs fp32 (null)`, value: t32 / median(totals['fp32 again']), unit: 'x', reps, threads });
  figures.push({ name: `${m} use_amp step: conv passes on AMX`, value: onAmx, unit: 'calls', of: rows.reduce((s, x) => s + Number(x.calls), 0) });
  tables[m] = rows;
  console.log(
    `\n${m}: convs ${t32.toFixed(2)} ms fp32, ${tamp.toFixed(2)} ms use_amp (${(t32 / tamp).toFixed(2)}x, null ${(t32 / median(totals['fp32 again'])).toFixed(2)}x; medians of ${reps} steps), ${onAmx} passes on AMX`,
  );
  printTable(rows);
}
writeResults('conv_models', figures, { threads, amx: amx.usable ? 'yes' : `no (${amx.reason})`, load_before: load0, load_after: loadavg()[0] });
