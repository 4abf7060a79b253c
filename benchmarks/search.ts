// npm run bench -- search [--seeds 3] [--epochs 27] [--eta 3] [--min-epochs 1] [--cases 12] [--val-cases 4] [--size 48] [--crop 32] [--val-every 3]
//                         [--backend cpu-native|tfjs-node] [--lr-schedule poly|step] [--out search] [--keep DIR]
// Does successive halving spend a search's budget better? On the synthetic example (real
// `clara-train automl`, real `clara-train train` jobs, two CPU workers; by default the
// example as `clara-train init` writes it: 12 training and 4 validation cases of 48³, crops of 32³) the same 16 configurations (RandomController, one seed per repetition) are
// searched three ways: every job trains all epochs ("full"), + MedianPruner ("median"),
// + the ASHA scheduler ("asha", rungs min_epochs·η^k up to epochs). Figures: the process
// CPU time of the jobs (every thread; benchmarks/lib/job-cpu.mjs) until a job scores within
// 0.01 Dice of the full search's best, as a fraction of the full search's CPU time, and the
// best score each reaches; medians over the seeds (a seed where a strategy never gets
// there counts as never). A job still running at that moment counts with the share of its
// CPU time its elapsed time makes. The lr schedule: `poly` (PolynomialLR, power 0.9, over
// the job's whole budget: the segmentation default, and what a rung's --epochs keeps
// comparable) or `step` (the example's StepLR, step 30: a constant lr within 27 epochs).
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../src/automl/journal.js';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'clara-train.js');
const jobCpu = join(root, 'benchmarks', 'lib', 'job-cpu.mjs');
if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('search: run `npm run build` first (the jobs run the built CLI)');

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : d;
};
const seeds = Number(opt('--seeds', '3')),
  epochs = Number(opt('--epochs', '27')),
  eta = Number(opt('--eta', '3'));
const minEpochs = Number(opt('--min-epochs', '1')),
  cases = opt('--cases', '12'),
  valCases = opt('--val-cases', '4'),
  size = opt('--size', '48'),
  crop = Number(opt('--crop', '32')),
  backend = opt('--backend', 'cpu-native'),
  valEvery = Number(opt('--val-every', '3'));
const keep = argv.includes('--keep') ? opt('--keep', '') : undefined;
const lrSchedule = opt('--lr-schedule', 'poly'),
  out = opt('--out', 'search');
if (lrSchedule !== 'poly' && lrSchedule !== 'step') throw new Error(`--lr-schedule: expected poly or step, got ${lrSchedule}`);
if (backend !== 'cpu-native' && backend !== 'tfjs-node') throw new Error(`--backend: expected cpu-native or tfjs-node, got ${backend}`);
if (!(Number.isInteger(valEvery) && valEvery >= 1)) throw new Error(`--val-every: expected a whole number of epochs >= 1, got ${valEvery}`);
if (!(crop > 0 && crop <= Number(size))) throw new Error(`--crop: expected a crop edge from 1 to --size (${size}), got ${crop}`);
const CONFIGS = 16,
  TOLERANCE = 0.01;
const dir = keep || mkdtempSync(join(tmpdir(), 'clara-bench-search-'));
const mmar = join(dir, 'synth');
const load: number[] = [loadavg()[0]];
const t0 = Date.now();

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  return new Promise((resolve) => {
    const child = fork(bin, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let err = '';
    child.stderr!.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(err);
      resolve(code);
    });
  });
}
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const writeJson = (f: string, j: unknown) => writeFileSync(f, JSON.stringify(j, null, 2));

if ((await cli(['init', '--example', 'synthetic', mmar, '--force', '--size', size, '--train-cases', cases, '--val-cases', valCases])) !== 0)
  throw new Error('init failed');
const tf = join(mmar, 'config', 'config_train.json');
const train = readJson(tf);
train.epochs = epochs;
train.num_interval_per_valid = valEvery;
train.train.pre_transforms.find((x: { name: string }) => x.name === 'RandCropByPosNegLabeld').args.spatial_size = [crop, crop, crop];
train.validate.inferer.args.roi_size = [crop, crop, crop];
if (lrSchedule === 'poly') train.train.lr_scheduler = { name: 'PolynomialLR', args: { optimizer: '@optimizer', power: 0.9 } };
writeJson(tf, train);
const af = join(mmar, 'config', 'config_automl.json');
const base = readJson(af);
base.handlers = [{ name: 'MMARHandler', args: { train_config_file: '{trainconf}', key_mmar_content_only: true } }];

type Strategy = 'full' | 'median' | 'asha';
const STRATEGIES: Strategy[] = ['full', 'median', 'asha'];
interface Run {
  best: number;
  cpu: number;
  reachCpu: number;
  jobs: number;
  wall: number;
}

async function search(strategy: Strategy, seed: number, target?: number): Promise<Run> {
  const runId = `${strategy}_s${seed}`;
  const cpuFile = join(dir, `cpu_${runId}.jsonl`);
  rmSync(cpuFile, { force: true });
  writeJson(af, {
    ...base,
    controller: { name: 'RandomController', args: { max_trials: CONFIGS, seed } },
    ...(strategy === 'median' ? { pruner: { name: 'MedianPruner', args: { n_startup_jobs: 4, n_warmup_epochs: Math.min(3, epochs - 1) } } } : {}),
    ...(strategy === 'asha' ? { scheduler: { name: 'ASHA', args: { min_epochs: minEpochs, reduction_factor: eta, max_epochs: epochs } } } : {}),
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLARA_BACKEND: backend,
    CLARA_TRAIN_COMMAND: JSON.stringify([process.execPath, jobCpu, cpuFile, 'train', '-m', '{mmar}', '-q']),
  };
  delete env.MLFLOW_TRACKING_URI;
  const ts = Date.now();
  if ((await cli(['automl', '-m', mmar, '--set', `run_id=${runId}`, 'workers=cpu:cpu', '--no-report'], env)) !== 0) throw new Error(`${runId} failed`);
  const wall = (Date.now() - ts) / 1000;
  load.push(loadavg()[0]);
  const cpuOf = new Map<string, number>();
  for (const l of readFileSync(cpuFile, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(l);
    cpuOf.set(r.job, (cpuOf.get(r.job) ?? 0) + r.cpu_s);
  }
  const entries = Journal.read(join(mmar, 'automl', runId, 'journal.jsonl'));
  const started = new Map<string, number>();
  const jobs: { start: number; end: number; cpu: number; score: number }[] = [];
  for (const e of entries) {
    if (e.type === 'job_start') started.set(e.job, e.time);
    if (e.type === 'job_end') {
      const ok = e.outcome.status === 'FINISHED' || e.outcome.status === 'PRUNED';
      if (!cpuOf.has(e.job)) process.stderr.write(`search: no CPU record of ${runId}/${e.job}\n`);
      jobs.push({ start: started.get(e.job)!, end: e.time, cpu: cpuOf.get(e.job) ?? 0, score: ok ? e.outcome.score : -Infinity });
    }
  }
  const best = Math.max(...jobs.map((j) => j.score));
  const goal = (target ?? best) - (target === undefined ? 0 : TOLERANCE);
  const reach = jobs.filter((j) => j.score >= goal).sort((a, b) => a.end - b.end)[0];
  const cpuBy = (t: number) => jobs.reduce((s, j) => s + j.cpu * Math.min(1, Math.max(0, (t - j.start) / Math.max(1, j.end - j.start))), 0);
  return { best, cpu: cpuBy(Infinity), reachCpu: reach ? cpuBy(reach.end) : Infinity, jobs: jobs.length, wall };
}

const runs: Record<Strategy, Run[]> = { full: [], median: [], asha: [] };
const fin = (x: number) => (Number.isFinite(x) ? x : null);
for (let s = 0; s < seeds; s++) {
  const full = await search('full', s);
  runs.full.push(full);
  for (const st of ['median', 'asha'] as const) runs[st].push(await search(st, s, full.best));
  process.stderr.write(
    `search: seed ${s} done (${((Date.now() - t0) / 1000).toFixed(0)} s): ${STRATEGIES.map((st) => `${st} best ${runs[st][s].best.toFixed(4)} cpu ${runs[st][s].cpu.toFixed(0)} s`).join(', ')}\n`,
  );
  // Written after every seed, so that a long run interrupted late still leaves its figures.
  report(s + 1 < seeds);
}

function report(partial: boolean): void {
  const figures: Figure[] = [];
  const n = runs.full.length;
  for (const st of STRATEGIES) {
    const fr = runs[st].map((r, i) => r.reachCpu / runs.full[i].cpu);
    figures.push(
      {
        name: `${st}: cpu time to the full search's best / full search's cpu time`,
        value: fin(median(fr)) ?? NaN,
        unit: 'fraction',
        per_seed: JSON.stringify(fr.map(fin)),
        reached: `${fr.filter(Number.isFinite).length}/${n}`,
        rule: st === 'asha' ? 'target <= 0.40' : '',
      },
      {
        name: `${st}: best score`,
        value: median(runs[st].map((r) => r.best)),
        unit: 'dice (median over seeds)',
        per_seed: JSON.stringify(runs[st].map((r) => r.best)),
      },
      {
        name: `${st}: cpu time`,
        value: median(runs[st].map((r) => r.cpu)),
        unit: 's (process CPU of the jobs, median over seeds)',
        jobs: JSON.stringify(runs[st].map((r) => r.jobs)),
      },
      { name: `${st}: wall time`, value: median(runs[st].map((r) => r.wall)), unit: 's (median over seeds)' },
    );
  }
  if (!partial) printTable(figures.map((f) => ({ name: f.name, value: f.value, unit: f.unit })));
  writeResults(out, figures, {
    load_average_1m: load,
    seeds_done: n,
    seeds,
    configurations: CONFIGS,
    epochs,
    reduction_factor: eta,
    min_epochs: minEpochs,
    train_cases: Number(cases),
    val_cases: Number(valCases),
    size: Number(size),
    crop,
    validation_every_epochs: valEvery,
    lr_schedule: lrSchedule === 'poly' ? 'PolynomialLR power 0.9 over the budget' : 'StepLR step 30 (constant within the budget)',
    backend,
    workers: 'cpu:cpu',
    tolerance_dice: TOLERANCE,
    total_wall_s: (Date.now() - t0) / 1000,
    command: `npm run bench -- search --seeds ${seeds} --epochs ${epochs} --eta ${eta} --min-epochs ${minEpochs} --cases ${cases} --val-cases ${valCases} --size ${size} --crop ${crop} --val-every ${valEvery} --backend ${backend} --lr-schedule ${lrSchedule}${out !== 'search' ? ` --out ${out}` : ''}`,
  });
}
if (!keep) rmSync(dir, { recursive: true, force: true });
