// npm run bench -- train_synthetic [--epochs N] [--keep DIR] [--set K=V ...] [--results NAME]
// The synthetic example end to end, as a user runs it: `clara-train init --example
// synthetic DIR`, then `clara-train train -m DIR` (a real child process), then
// `validate`. Records wall time to the best model, the best mean Dice and per-epoch
// figures in benchmarks/results/train_synthetic.json.
// Target (issue 5): mean Dice >= 0.9 on the validation cases in under 5 minutes on a 2-core CPU.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from './lib/cli-run.js';
import { printTable, writeResults, type Figure } from './lib/results.js';
import type { TrainStats } from '../src/jobs/train-stats.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const keep = opt('--keep');
const dir = keep ?? mkdtempSync(join(tmpdir(), 'clara-bench-synthetic-'));
const sets = argv.filter((_a, i) => argv[i - 1] === '--set');

const loadBefore = loadavg()[0];
const init = await cli(['init', '--example', 'synthetic', dir, '--force']);
if (init.code !== 0) throw new Error(`init failed (${init.code})`);
const epochs = opt('--epochs');
const train = await cli(['train', '-m', dir, ...(epochs ? ['--set', `epochs=${epochs}`] : []), ...sets.flatMap((s) => ['--set', s])]);
if (train.code !== 0) throw new Error(`train failed (${train.code})`);
const stats = JSON.parse(readFileSync(join(dir, 'models', 'train_stats.json'), 'utf8')) as TrainStats;
const val = await cli(['validate', '-m', dir]);
const metrics = JSON.parse(readFileSync(join(dir, 'eval', 'metrics.json'), 'utf8')) as { key_metric: number; per_case: Record<string, Record<string, number>> };

// Wall time until the best validation was reached (epoch times are cumulative).
const bestEpoch = stats.best_key_metric_epoch ?? stats.epochs_completed;
const timeToBest = stats.epoch_time.slice(0, bestEpoch).reduce((a, b) => a + b, 0);
const firstAbove = stats.val_metrics.find((v) => (v.metrics[stats.key_metric_name] ?? 0) >= 0.9);
const timeTo09 = firstAbove ? stats.epoch_time.slice(0, firstAbove.epoch).reduce((a, b) => a + b, 0) : null;

const rows = stats.val_metrics.map((v) => ({
  epoch: v.epoch,
  train_loss: stats.train_loss[v.epoch - 1],
  [stats.key_metric_name]: v.metrics[stats.key_metric_name],
  cumulative_s: stats.epoch_time.slice(0, v.epoch).reduce((a, b) => a + b, 0),
}));
printTable(rows);
const figures: Figure[] = [
  { name: 'best_val_mean_dice', value: stats.best_key_metric ?? NaN, unit: 'dice', epoch: bestEpoch },
  { name: 'validate_mean_dice', value: metrics.key_metric, unit: 'dice' },
  { name: 'train_process_wall', value: train.seconds, unit: 's' },
  { name: 'train_epochs_total', value: stats.epoch_time.reduce((a, b) => a + b, 0), unit: 's' },
  { name: 'time_to_best', value: timeToBest, unit: 's' },
  { name: 'time_to_dice_0.9', value: timeTo09 ?? NaN, unit: 's', reached: timeTo09 !== null },
  { name: 'samples_per_s_median', value: [...stats.samples_per_s].sort((a, b) => a - b)[stats.samples_per_s.length >> 1], unit: 'samples/s' },
  {
    name: 'target_met',
    value: (stats.best_key_metric ?? 0) >= 0.9 && train.seconds < 300 ? 1 : 0,
    unit: 'bool',
    rule: 'best mean Dice >= 0.9 and train wall < 300 s',
  },
];
printTable(figures.map((f) => ({ name: f.name, value: f.value, unit: f.unit })));
writeResults(opt('--results') ?? 'train_synthetic', figures, {
  sets,
  backend: stats.backend,
  amp: stats.amp,
  load_average_1m: { before: loadBefore, after: loadavg()[0] },
  epochs: stats.epochs_completed,
  seed: stats.seed ?? 0,
  per_epoch: { train_loss: stats.train_loss, epoch_time: stats.epoch_time, samples_per_s: stats.samples_per_s, val: stats.val_metrics },
  per_case_dice: metrics.per_case,
  validate_exit: val.code,
  command: `clara-train init --example synthetic DIR && clara-train train -m DIR${epochs ? ` --set epochs=${epochs}` : ''}`,
});
if (!keep) rmSync(dir, { recursive: true, force: true });
