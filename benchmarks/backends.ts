// npm run bench -- backends [--reps N] [--threads T] [--full] [--no-torch] [--no-train]
// The same work on every backend, threads set equal (native pool CLARA_NUM_THREADS /
// setNumThreads, TensorFlow TF_NUM_INTRAOP_THREADS with one inter-op thread,
// torch.set_num_threads; pure tfjs runs on one JS thread whatever is set):
// - the train step (batch 2, Adam, soft Dice) of the train_step benchmark's UNet
//   (F=8 32³ and F=16 64³) and of MONAI's SegResNet (init_filters 8, 32³), on cpu-native,
//   tfjs-node, pure tfjs 'cpu' and PyTorch (benchmarks/train_step_torch.py,
//   benchmarks/backends_segresnet_torch.py), each backend in its own process;
// - a full training of the synthetic example (`clara-train train`, its 15 epochs) on
//   cpu-native and tfjs-node (pure tfjs with --full; PyTorch has no such pipeline here).
// → benchmarks/results/backends.json
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printTable, writeResults, type Figure } from './lib/results.js';
import type { TrainStats } from '../src/jobs/train-stats.js';
import { threadsEnv } from './lib/cli-run.js';

const args = process.argv.slice(2);
const opt = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const reps = Number(opt('--reps')) || 3;
const threads = Number(opt('--threads')) || 2;
const full = args.includes('--full');
const here = dirname(fileURLToPath(import.meta.url));
const entry = fileURLToPath(new URL('../test/helpers/cli-entry.ts', import.meta.url));
const loads: number[] = [loadavg()[0]];
const env = threadsEnv(threads);

const figures: Figure[] = [];
const rows: Record<string, string | number>[] = [];
const skipped: Record<string, string> = {};

function parseLast(out: string): Record<string, unknown> | undefined {
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function record(
  workload: string,
  impl: string,
  stepS: number[],
  cpuS: number[] | undefined,
  more: Record<string, string | number | boolean | null> = {},
): void {
  const med = median(stepS);
  const cpu = cpuS?.length ? median(cpuS) : null;
  figures.push({
    name: `${workload} train step: ${impl}`,
    value: med,
    unit: 's',
    workload,
    impl,
    reps: stepS.length,
    best_s: Math.min(...stepS),
    cpu_s: cpu,
    threads,
    ...more,
  });
  rows.push({ workload, impl, 'median s': med, 'best s': Math.min(...stepS), 'cpu s': cpu ?? '', reps: stepS.length });
  loads.push(loadavg()[0]);
}

const WORKLOADS = ['unet-small', 'unet-large', 'segresnet'] as const;
const BACKENDS = ['cpu-native', 'tfjs-node', 'cpu'] as const;
for (const w of WORKLOADS) {
  for (const b of BACKENDS) {
    const impl = b === 'cpu' ? 'pure tfjs cpu' : b;
    if (b === 'cpu' && w === 'unet-large' && !full) {
      skipped[`${w} ${impl}`] = 'minutes per step on this machine; run with --full';
      continue;
    }
    const n = b === 'cpu' || w === 'unet-large' ? Math.min(reps, 2) : reps;
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'backends_one.ts'), b, w, String(n), String(threads)], {
      encoding: 'utf8',
      env,
      timeout: 1_800_000,
    });
    const j = parseLast(r.stdout ?? '') as { step_s?: number[]; cpu_s?: number[]; tfBackend?: string; losses?: number[] } | undefined;
    if (r.status === 0 && j?.step_s) record(w, impl, j.step_s, j.cpu_s, { tf_backend: j.tfBackend ?? '', first_loss: j.losses?.[0] ?? null });
    else
      skipped[`${w} ${impl}`] = (r.stderr || String(r.error))
        .trim()
        .split('\n')
        .filter((l) => !/^I0000|WARNING: All log|To enable/.test(l))
        .slice(-2)
        .join(' ');
  }
  if (!args.includes('--no-torch')) {
    const py =
      w === 'segresnet'
        ? spawnSync('python3', [join(here, 'backends_segresnet_torch.py'), String(reps), String(threads)], { encoding: 'utf8', timeout: 1_800_000 })
        : spawnSync(
            'python3',
            [
              join(here, 'train_step_torch.py'),
              w === 'unet-small' ? '32' : '64',
              w === 'unet-small' ? '8' : '16',
              String(w === 'unet-large' ? Math.min(reps, 2) : reps),
              String(threads),
            ],
            { encoding: 'utf8', timeout: 1_800_000 },
          );
    const j = parseLast(py.stdout ?? '') as { torch?: string; step_s?: number[]; cpu_s?: number[] } | undefined;
    if (py.status === 0 && j?.step_s) record(w, `pytorch ${j.torch} cpu`, j.step_s, j.cpu_s);
    else skipped[`${w} pytorch`] = (py.stderr || String(py.error)).trim().split('\n').slice(-1).join(' ');
  }
}

function cli(a: string[], e: NodeJS.ProcessEnv): Promise<{ code: number | null; seconds: number; err: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = fork(entry, a, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: e });
    let err = '';
    child.stdout!.resume();
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code) => resolve({ code, seconds: (Date.now() - t0) / 1000, err }));
  });
}

const trainRows: Record<string, string | number>[] = [];
if (!args.includes('--no-train')) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-backends-'));
  try {
    const mm = join(dir, 'mmar');
    const init = await cli(['init', '--example', 'synthetic', mm], env);
    if (init.code !== 0) throw new Error(`init failed: ${init.err}`);
    for (const b of full ? [...BACKENDS] : (['cpu-native', 'tfjs-node'] as const)) {
      rmSync(join(mm, 'models'), { recursive: true, force: true });
      const r = await cli(['train', '-m', mm, '-q'], { ...env, CLARA_BACKEND: b });
      if (r.code !== 0) {
        skipped[`synthetic training ${b}`] = r.err.trim().split('\n').slice(-1).join(' ');
        continue;
      }
      const s = JSON.parse(readFileSync(join(mm, 'models', 'train_stats.json'), 'utf8')) as TrainStats;
      const epochS = s.epoch_time.reduce((a, x) => a + x, 0);
      figures.push({
        name: `synthetic example training (${s.total_epochs} epochs): ${b}`,
        value: r.seconds,
        unit: 's',
        backend: b,
        epochs_s: epochS,
        best_dice: s.best_key_metric,
        best_epoch: s.best_key_metric_epoch,
        threads,
      });
      trainRows.push({
        backend: b,
        'wall s': r.seconds,
        'epochs s': epochS,
        'best Dice': s.best_key_metric ?? '',
        'best epoch': s.best_key_metric_epoch ?? '',
      });
      loads.push(loadavg()[0]);
    }
    skipped['synthetic training pytorch'] = 'no PyTorch training pipeline of the example exists here';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

printTable(rows);
if (trainRows.length) printTable(trainRows);
for (const [k, v] of Object.entries(skipped)) console.log(`skipped ${k}: ${v}`);
writeResults('backends', figures, {
  note: `Median step seconds after one warm-up step, each backend in its own process, ${threads} threads each (pure tfjs: one JS thread). Run one after another; the 1-minute load average was sampled before and after each figure (loadavg) — above ~1.5 on this 2-vCPU machine wall times are inflated and noisy, CPU seconds (cpu_s) less so.`,
  reps,
  threads,
  loadavg: loads,
  skipped,
});
