// npm run bench -- train_synthetic_peers [--rounds R (3)] [--epochs N (the config's 15)] [--threads T (2)] [--no-torch] [--keep DIR]
// The synthetic example (`clara-train init --example synthetic`, default size) trained end to
// end by `clara-train train` (real child processes) on cpu-native, on tfjs-node and on
// cpu-native with use_amp, and by MONAI + PyTorch running the same config
// (benchmarks/train_synthetic_monai.py: MONAI's classes for the config's names; once with the
// config's DataLoader num_workers, once with num_workers=0, the faster on a 2-core machine),
// interleaved: R rounds, each runs every variant once, the order rotating per round.
// Every run uses T threads (CLARA_NUM_THREADS / TF_NUM_INTRAOP_THREADS / torch.set_num_threads).
// Figures: the median epoch of each (all epochs of all rounds pooled; an epoch is what
// clara-train's epoch_time covers: training iterations with their data loading, the validation
// when due, the best-model save), the speed-up of cpu-native over MONAI + PyTorch (its faster
// variant), the best mean Dice each reaches (median over rounds), and for use_amp the largest
// relative per-epoch difference of its training loss from the fp32 run of the same round and
// its mean Dice. Targets (issue 13): cpu-native's median epoch no slower than MONAI + PyTorch;
// use_amp reaches mean Dice >= 0.9.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, threadsEnv } from './lib/cli-run.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';
import type { TrainStats } from '../src/jobs/train-stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rounds = Number(opt('--rounds') ?? 3);
const epochs = opt('--epochs');
const threads = Number(opt('--threads') ?? 2);
const withTorch = !argv.includes('--no-torch');
for (const [k, v] of [
  ['--rounds', rounds],
  ['--threads', threads],
  ['--epochs', epochs === undefined ? 1 : Number(epochs)],
] as const) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`train_synthetic_peers: ${k} must be a positive integer`);
    process.exit(2);
  }
}

interface Run {
  epochTime: number[];
  trainLoss: number[];
  bestDice: number;
  wall: number;
  detail: Record<string, unknown>;
}
interface Variant {
  name: string;
  run(dir: string): Promise<Run>;
}

const env = threadsEnv(threads);

function clara(backend: 'cpu-native' | 'tfjs-node', sets: string[]): Variant['run'] {
  return async (dir) => {
    const args = ['train', '-m', dir, ...(epochs ? ['--set', `epochs=${epochs}`] : []), ...sets.flatMap((s) => ['--set', s])];
    const r = await runCli(args, { env: { ...env, CLARA_BACKEND: backend }, quiet: true });
    if (r.code !== 0) throw new Error(`clara-train ${args.join(' ')} (CLARA_BACKEND=${backend}) exited with ${r.code}`);
    const s = JSON.parse(readFileSync(join(dir, 'models', 'train_stats.json'), 'utf8')) as TrainStats;
    return {
      epochTime: s.epoch_time,
      trainLoss: s.train_loss,
      bestDice: s.best_key_metric ?? NaN,
      wall: r.seconds,
      detail: { backend: s.backend, amp: s.amp, val: s.val_metrics.map((v) => ({ epoch: v.epoch, dice: v.metrics[s.key_metric_name] })) },
    };
  };
}

function monai(workers?: number): Variant['run'] {
  return (dir) =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const args = [join(here, 'train_synthetic_monai.py'), dir, '--threads', String(threads)];
      if (workers !== undefined) args.push('--workers', String(workers));
      if (epochs) args.push('--epochs', epochs);
      const child = spawn('python3', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '',
        err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('exit', (code) => {
        const line = out.trim().split('\n').pop() ?? '';
        if (code !== 0 || !line.startsWith('{'))
          return reject(new Error(`python3 ${args.join(' ')} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
        const j = JSON.parse(line) as {
          epoch_time: number[];
          data_wait_s: number[];
          val_s: number[];
          train_loss: number[];
          best_mean_dice: number;
          val: unknown;
          monai: string;
          torch: string;
          workers: number;
        };
        resolve({
          epochTime: j.epoch_time,
          trainLoss: j.train_loss,
          bestDice: j.best_mean_dice,
          wall: (Date.now() - t0) / 1000,
          detail: { monai: j.monai, torch: j.torch, num_workers: j.workers, data_wait_s: j.data_wait_s, val_s: j.val_s, val: j.val },
        });
      });
    });
}

const NATIVE = 'cpu-native',
  TFJS = 'tfjs-node',
  AMP = 'cpu-native use_amp',
  TORCH = 'monai+pytorch',
  TORCH0 = 'monai+pytorch num_workers=0';
const variants: Variant[] = [
  { name: NATIVE, run: clara('cpu-native', []) },
  { name: TFJS, run: clara('tfjs-node', []) },
  { name: AMP, run: clara('cpu-native', ['use_amp=true']) },
  ...(withTorch
    ? [
        { name: TORCH, run: monai() },
        { name: TORCH0, run: monai(0) },
      ]
    : []),
];

const loadBefore = loadavg()[0];
const keep = opt('--keep');
const base = keep ?? mkdtempSync(join(tmpdir(), 'clara-bench-peers-'));
const example = join(base, 'example');
const init = await runCli(['init', '--example', 'synthetic', example, '--force'], { quiet: true });
if (init.code !== 0) throw new Error(`clara-train init --example synthetic failed (${init.code})`);
const info = await runCli(['info'], { env: { ...env, CLARA_BACKEND: 'cpu-native' }, quiet: true });
const amxLine =
  info.out
    .split('\n')
    .find((l) => /^amx\b/.test(l))
    ?.replace(/^amx\s+/, '') ?? 'unknown';

const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
const skipped: Record<string, string> = {};
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < variants.length; k++) {
    const v = variants[(k + r) % variants.length];
    if (skipped[v.name]) continue;
    const dir = join(base, `r${r}-${v.name.replace(/[^a-z0-9]+/gi, '_')}`);
    cpSync(example, dir, { recursive: true });
    rmSync(join(dir, 'models'), { recursive: true, force: true });
    process.stderr.write(`round ${r + 1}/${rounds}: ${v.name} ... `);
    try {
      const run = await v.run(dir);
      runs.get(v.name)!.push(run);
      process.stderr.write(`median epoch ${median(run.epochTime).toFixed(3)} s, best Dice ${run.bestDice.toFixed(4)} (${run.wall.toFixed(1)} s)\n`);
    } catch (e) {
      // a peer that cannot run (no torch/monai) is skipped and said so; our own variants must run
      if (!v.name.startsWith('monai')) throw e;
      skipped[v.name] = (e as Error).message;
      process.stderr.write(`skipped: ${skipped[v.name]}\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const figures: Figure[] = [];
const medEpoch = new Map<string, number>();
const rows: Record<string, string | number>[] = [];
for (const v of variants) {
  const rs = runs.get(v.name)!;
  if (rs.length === 0) continue;
  const m = median(rs.flatMap((x) => x.epochTime));
  const perRound = rs.map((x) => median(x.epochTime));
  medEpoch.set(v.name, m);
  const dice = median(rs.map((x) => x.bestDice));
  figures.push({
    name: `synthetic: median epoch ${v.name}`,
    value: m,
    unit: 's',
    rounds: rs.length,
    min_round: Math.min(...perRound),
    max_round: Math.max(...perRound),
  });
  figures.push({ name: `synthetic: best mean Dice ${v.name}`, value: dice, unit: 'dice', min: Math.min(...rs.map((x) => x.bestDice)) });
  rows.push({
    variant: v.name,
    'median epoch s': m,
    'round medians s': perRound.map((x) => x.toFixed(3)).join(' '),
    'best Dice': dice,
    'wall s': median(rs.map((x) => x.wall)),
  });
}
const peer = [TORCH, TORCH0].filter((n) => medEpoch.has(n)).sort((a, b) => medEpoch.get(a)! - medEpoch.get(b)!)[0];
if (peer) {
  for (const ours of [NATIVE, TFJS]) {
    figures.push({
      name: `synthetic: speed-up ${ours} vs monai+pytorch`,
      value: medEpoch.get(peer)! / medEpoch.get(ours)!,
      unit: 'x',
      peer,
      ...(ours === NATIVE ? { target: 'median epoch no slower than MONAI + PyTorch (>= 1)', target_met: medEpoch.get(peer)! >= medEpoch.get(ours)! } : {}),
    });
  }
}
// use_amp against fp32 of the same round (same seed, same data order): the loss curve's largest relative gap.
const fp32 = runs.get(NATIVE)!,
  amp = runs.get(AMP)!;
const gaps = amp.map((a, i) => Math.max(...a.trainLoss.map((l, e) => Math.abs(l - fp32[i].trainLoss[e]) / Math.abs(fp32[i].trainLoss[e]))));
figures.push({
  name: 'synthetic: use_amp max relative train-loss difference per epoch vs fp32',
  value: Math.max(...gaps),
  unit: 'ratio',
  per_round: gaps.join(' '),
});
const ampDice = median(amp.map((x) => x.bestDice));
figures.push({
  name: 'synthetic: use_amp mean Dice',
  value: ampDice,
  unit: 'dice',
  target: '>= 0.9',
  target_met: ampDice >= 0.9,
  amx: amxLine,
  amp: String(amp[0]?.detail.amp),
});
printTable(rows);
printTable(figures.map((f) => ({ name: f.name, value: f.value, unit: f.unit })));
writeResults(opt('--results') ?? 'train_synthetic_peers', figures, {
  rounds,
  threads,
  epochs: epochs ? Number(epochs) : 'config (15)',
  amx: amxLine,
  load_average_1m: { before: loadBefore, after: loadavg()[0] },
  // PyTorch's OpenMP threads stall when the cores are taken (its epoch grew 30x at load 10-20), ours far less
  ...(Math.max(loadBefore, loadavg()[0]) > cpus().length
    ? { note: `load average above the ${cpus().length} cores during the run: provisional figures, rerun on a quiet machine` }
    : {}),
  skipped,
  runs: Object.fromEntries(
    [...runs].map(([k, rs]) => [k, rs.map((x) => ({ epoch_time: x.epochTime, train_loss: x.trainLoss, best_dice: x.bestDice, wall_s: x.wall, ...x.detail }))]),
  ),
  command: 'npm run bench -- train_synthetic_peers',
});
if (!keep) rmSync(base, { recursive: true, force: true });
