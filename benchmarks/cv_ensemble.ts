// npm run bench -- cv_ensemble [--epochs N] [--size N] [--folds K] [--keep DIR]
// Does the fold ensemble beat its folds on cases none of them saw? The synthetic example's
// training cases (seed 0) are split into K folds; each fold trains with `clara-train train
// --fold k` (real child processes); `clara-train ensemble` exports them, decides the
// postprocessing on the CV predictions and scores every fold alone, the ensemble (mean of
// softmax), the ensemble with postprocessing and with mirror TTA on held-out cases
// generated with ANOTHER seed (7). Figures: mean Dice (and HD95, NSD) of each.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, writeResults, type Figure } from './lib/results.js';

const entry = fileURLToPath(new URL('../test/helpers/cli-entry.ts', import.meta.url));
function cli(args: string[]): Promise<{ code: number | null; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = fork(entry, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('exit', (code) => resolve({ code, seconds: (Date.now() - t0) / 1000 }));
  });
}
const argv = process.argv.slice(2);
const opt = (name: string, d: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : d; };
const epochs = opt('--epochs', '8'), size = opt('--size', '32'), K = Number(opt('--folds', '3'));
const keep = argv.includes('--keep') ? opt('--keep', '') : undefined;
const dir = keep || mkdtempSync(join(tmpdir(), 'clara-bench-cv-'));
const mmar = join(dir, 'synth'), held = join(dir, 'heldout');
const load: number[] = [loadavg()[0]];

const must = async (args: string[]) => { const r = await cli(args); if (r.code !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed (${r.code})`); return r.seconds; };
await must(['init', '--example', 'synthetic', mmar, '--force', '--size', size, '--train-cases', '12', '--val-cases', '1']);
await must(['init', '--example', 'synthetic', held, '--force', '--size', size, '--train-cases', '8', '--val-cases', '1', '--seed', '7']);
// the other seed's cases as a held-out list of the MMAR's datalist
const dl = join(mmar, 'data', 'dataset.json');
const d = JSON.parse(readFileSync(dl, 'utf8'));
d.heldout_seed7 = JSON.parse(readFileSync(join(held, 'data', 'dataset.json'), 'utf8')).training.map((e: { image: string; label: string }) => ({ image: join(held, 'data', e.image), label: join(held, 'data', e.label) }));
writeFileSync(dl, JSON.stringify(d, null, 2));
const trainS: number[] = [];
for (let f = 0; f < K; f++) {
  trainS.push(await must(['train', '-m', mmar, '--fold', String(f), '--set', `num_folds=${K}`, `epochs=${epochs}`, '-q']));
  load.push(loadavg()[0]);
}
const ensS = await must(['ensemble', '-m', mmar, '--folds', Array.from({ length: K }, (_, i) => i).join(','), '-o', join(mmar, 'ensemble'), '--held-out', 'heldout_seed7', '--tta']);
load.push(loadavg()[0]);
const r = JSON.parse(readFileSync(join(mmar, 'ensemble', 'results.json'), 'utf8'));
const h = r.held_out;
const single = h.per_fold as { member: string; dice: number; hd95: number; nsd: number }[];
const figures: Figure[] = [
  ...single.map((s) => ({ name: `${s.member}_dice`, value: s.dice, unit: 'dice', hd95_mm: s.hd95, nsd: s.nsd })),
  { name: 'best_single_fold_dice', value: h.best_single_fold_dice, unit: 'dice' },
  { name: 'mean_single_fold_dice', value: single.reduce((a, s) => a + s.dice, 0) / single.length, unit: 'dice' },
  { name: 'ensemble_dice', value: h.ensemble.dice, unit: 'dice', hd95_mm: h.ensemble.hd95, nsd: h.ensemble.nsd },
  { name: 'ensemble_postprocessed_dice', value: h.ensemble_postprocessed.dice, unit: 'dice', hd95_mm: h.ensemble_postprocessed.hd95, nsd: h.ensemble_postprocessed.nsd },
  { name: 'ensemble_tta_dice', value: h.ensemble_tta.dice, unit: 'dice', hd95_mm: h.ensemble_tta.hd95, nsd: h.ensemble_tta.nsd },
  { name: 'ensemble_minus_best_fold', value: h.ensemble.dice - h.best_single_fold_dice, unit: 'dice', rule: 'the ensemble should not lose (>= 0)' },
  { name: 'cv_dice', value: r.cross_validation.raw.dice, unit: 'dice', postprocessed: r.cross_validation.postprocessed.dice },
  { name: 'train_wall_per_fold', value: trainS.reduce((a, b) => a + b, 0) / K, unit: 's' },
  { name: 'ensemble_build_wall', value: ensS, unit: 's' },
];
printTable(figures.map((f) => ({ name: f.name, value: f.value, unit: f.unit })));
writeResults('cv_ensemble', figures, {
  load_average_1m: load, held_out_cases: h.cases, held_out_seed: 7, train_seed: 0, folds: K, epochs: Number(epochs), size: Number(size),
  nsd_tolerance_mm: r.nsd_tolerance_mm, postprocessing: r.postprocessing.largest_component_classes,
  command: `npm run bench -- cv_ensemble --epochs ${epochs} --size ${size} --folds ${K}`,
});
if (!keep) rmSync(dir, { recursive: true, force: true });
