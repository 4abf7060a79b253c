// npm run bench -- train_synthetic_profile [--epochs N (the config's 15)] [--amp] [--threads T (2)] [--backend cpu-native|tfjs-node]
// Where an epoch of the synthetic example goes (issue 13): the real Trainer on the real
// components (`clara-train init --example synthetic`, default size; built as `clara-train
// train` builds them), with timers around what it is handed: the data loader's batches (time
// waiting for the next batch), the validation (the network's forward passes inside the sliding
// window apart from the rest: window copies, blending, argmax, Dice), and GC pauses
// (perf_hooks). Per epoch: epoch_time (what train_stats.json records) = data wait + train steps
// (forward, backward, Adam, the loss read back, the progress line) + validation + the rest
// (best-model save); the `last` checkpoint, train_stats.json and the log line written after each
// epoch fall outside epoch_time and are shown apart. GC pauses happen inside those parts and
// are shown as well (all, and mark-sweep only). Figures: medians over epochs 2..N (epoch 1
// warms up). The MONAI + PyTorch side of the same split is in train_synthetic_peers.json
// (data_wait_s, val_s per epoch). About 30 s on a quiet machine.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/cli/builtins.js';
import { initEngine } from '../src/engine/index.js';
import { buildTrainSetup } from '../src/train/build-setup.js';
import { loadMmarWithOverrides } from '../src/train/load-with-overrides.js';
import { Evaluator } from '../src/train/evaluator.js';
import { EventBus } from '../src/train/event-bus.js';
import { ProgressLine } from '../src/train/progress-line.js';
import { Trainer } from '../src/train/trainer.js';
import { setupTrainerOptions } from '../src/train/setup-trainer-options.js';
import type { Batch, BatchSource } from '../src/train/components.js';
import type { BackendName } from '../src/engine/backend.js';
import { runCli } from './lib/cli-run.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const amp = argv.includes('--amp');
const threads = Number(opt('--threads') ?? 2);
const backend = (opt('--backend') ?? 'cpu-native') as BackendName;
if (!['cpu-native', 'tfjs-node'].includes(backend)) {
  console.error(`train_synthetic_profile: --backend must be cpu-native or tfjs-node, got '${backend}'`);
  process.exit(2);
}
process.env.CLARA_NUM_THREADS = String(threads);
process.env.TF_NUM_INTRAOP_THREADS = String(threads);

const now = () => performance.now() / 1000;
const gc: { start: number; dur: number; major: boolean }[] = [];
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    gc.push({ start: e.startTime / 1000, dur: e.duration / 1000, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
});
obs.observe({ entryTypes: ['gc'] });

const load0 = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'clara-bench-profile-'));
const init = await runCli(['init', '--example', 'synthetic', dir, '--force'], { quiet: true });
if (init.code !== 0) throw new Error(`clara-train init --example synthetic failed (${init.code})`);
const epochs = opt('--epochs');
const m = loadMmarWithOverrides(dir, { automl: false, set: [`use_amp=${amp}`, ...(epochs ? [`epochs=${epochs}`] : [])] });
const engine = await initEngine({ amp, force: backend, log: () => {} });
const setup = await buildTrainSetup(m, () => {});

interface EpochParts {
  start: number;
  end: number;
  dataWait: number;
  loop: number;
  val: number;
  valForward: number;
}
const parts: EpochParts[] = [];
let cur: EpochParts | undefined;
const data: BatchSource = {
  ...setup.data,
  batchesPerEpoch: setup.data.batchesPerEpoch?.bind(setup.data),
  updateCache: setup.data.updateCache?.bind(setup.data),
  shutdown: setup.data.shutdown?.bind(setup.data),
  epoch(e: number): AsyncIterable<Batch> {
    const inner = setup.data.epoch(e)[Symbol.asyncIterator]();
    let first: number | undefined;
    return {
      [Symbol.asyncIterator]: () => ({
        async next() {
          const t = now();
          first ??= t;
          const r = await inner.next();
          if (cur) {
            cur.dataWait += now() - t;
            if (r.done) cur.loop = now() - first;
          }
          return r;
        },
      }),
    };
  },
};
const evaluator = setup.val
  ? new Evaluator({
      net: setup.net,
      cases: setup.val.cases,
      metrics: setup.val.metrics,
      inferer: (image, f) =>
        setup.val!.inferer(image, (x) => {
          const t = now();
          const y = f(x);
          y.dataSync();
          if (cur) cur.valForward += now() - t;
          return y;
        }),
    })
  : undefined;
if (evaluator) {
  const run = evaluator.run.bind(evaluator);
  evaluator.run = async () => {
    const t = now();
    try {
      return await run();
    } finally {
      if (cur) cur.val += now() - t;
    }
  };
}
const bus = new EventBus();
bus.add({
  onJobEvent: (e) => {
    if (e.type === 'epoch_start') {
      cur = { start: now(), end: NaN, dataWait: 0, loop: 0, val: 0, valForward: 0 };
      parts.push(cur);
    } else if (e.type === 'epoch_end' && cur) cur.end = now();
  },
});
const progress = new ProgressLine(process.stderr, false);
const trainer = new Trainer({
  ...setupTrainerOptions(setup),
  data,
  evaluator,
  backend: engine.backend.name,
  amp: engine.amp,
  bus,
  progress,
  log: (s) => progress.log(s),
});
const tRun = now();
const { stats } = await trainer.run();
const tEnd = now();
await bus.close('finished');
obs.disconnect();

const rows = parts.map((p, i) => {
  const next = parts[i + 1]?.start ?? tEnd;
  const epochTime = stats.epoch_time[i];
  const gcIn = gc.filter((g) => g.start >= p.start && g.start < next);
  return {
    epoch: i + 1,
    epoch_time: epochTime,
    data_wait: p.dataWait,
    train_steps: p.loop - p.dataWait,
    val_forward: p.valForward,
    val_other: p.val - p.valForward,
    rest_in_epoch: epochTime - p.loop - p.val,
    after_epoch_time: p.end - p.start - epochTime,
    gc: gcIn.reduce((a, g) => a + g.dur, 0),
    gc_major: gcIn.filter((g) => g.major).reduce((a, g) => a + g.dur, 0),
  };
});
printTable(rows);
const steady = rows.slice(1);
const withVal = steady.filter((r) => r.val_forward > 0);
const med = (k: keyof (typeof rows)[number], rs = steady) => median(rs.map((r) => r[k]));
const tag = `${backend}${amp ? ' use_amp' : ''}`;
const figures: Figure[] = [
  { name: `synthetic profile ${tag}: median epoch`, value: med('epoch_time'), unit: 's' },
  { name: `synthetic profile ${tag}: data wait per epoch`, value: med('data_wait'), unit: 's' },
  { name: `synthetic profile ${tag}: train steps per epoch`, value: med('train_steps'), unit: 's', batches: setup.data.batchesPerEpoch?.() ?? NaN },
  { name: `synthetic profile ${tag}: validation forward`, value: med('val_forward', withVal), unit: 's', validations: withVal.length },
  { name: `synthetic profile ${tag}: validation other`, value: med('val_other', withVal), unit: 's' },
  { name: `synthetic profile ${tag}: rest inside epoch_time`, value: med('rest_in_epoch'), unit: 's' },
  { name: `synthetic profile ${tag}: after epoch_time (last checkpoint, stats, log)`, value: med('after_epoch_time'), unit: 's' },
  { name: `synthetic profile ${tag}: GC pauses per epoch (inside the parts above)`, value: med('gc'), unit: 's' },
  { name: `synthetic profile ${tag}: GC mark-sweep pauses per epoch`, value: med('gc_major'), unit: 's' },
  { name: `synthetic profile ${tag}: train wall`, value: tEnd - tRun, unit: 's' },
  { name: `synthetic profile ${tag}: best mean Dice`, value: stats.best_key_metric ?? NaN, unit: 'dice' },
];
printTable(figures.map((f) => ({ name: f.name, value: f.value, unit: f.unit })));
writeResults(opt('--results') ?? 'train_synthetic_profile', figures, {
  backend: stats.backend,
  amp: stats.amp,
  threads,
  load_average_1m: { before: load0, after: loadavg()[0] },
  per_epoch: rows,
  command: `npm run bench -- train_synthetic_profile${amp ? ' --amp' : ''}${backend !== 'cpu-native' ? ` --backend ${backend}` : ''}`,
});
rmSync(dir, { recursive: true, force: true });
