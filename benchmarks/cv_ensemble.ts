// npm run bench -- cv_ensemble [--repeats R (5)] [--epochs N] [--size N] [--folds K] [--train-cases N] [--held-out N] [--keep DIR]
// Does the fold ensemble beat its folds on cases none of them saw? Each repeat r makes the
// synthetic example's training cases with data seed r, splits them into K folds, trains each
// fold with `clara-train train --fold k` (real child processes), and `clara-train ensemble`
// exports them, decides the postprocessing on the CV predictions and scores every fold alone,
// the ensemble (mean of softmax), the ensemble with postprocessing and with mirror TTA on
// held-out cases generated with ANOTHER seed (100 + r). Figures, as medians over the repeats
// (each repeat's figures kept): mean Dice (and HD95, NSD); the ensemble minus (a) the fold
// that is best ON THE HELD-OUT CASES (an oracle choice, biased upward: the max of K noisy
// scores), (b) the fold a user would pick without them (best cross-validation Dice) and
// (c) the mean fold.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printTable, writeResults, type Figure } from './lib/results.js';

const entry = fileURLToPath(new URL('../test/helpers/cli-entry.ts', import.meta.url));
function cli(args: string[]): Promise<{ code: number | null; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = fork(entry, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('exit', (code) => resolve({ code, seconds: (Date.now() - t0) / 1000 }));
  });
}
const argv = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : d;
};
const epochs = opt('--epochs', '16'),
  size = opt('--size', '32'),
  K = Number(opt('--folds', '3'));
const R = Number(opt('--repeats', '5')),
  trainCases = opt('--train-cases', '12'),
  heldCases = opt('--held-out', '12');
const keep = argv.includes('--keep') ? opt('--keep', '') : undefined;
const dir = keep || mkdtempSync(join(tmpdir(), 'clara-bench-cv-'));
const load: number[] = [loadavg()[0]];
const must = async (args: string[]) => {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed (${r.code})`);
  return r.seconds;
};

interface Scores {
  dice: number;
  hd95: number;
  nsd: number;
}
interface Repeat {
  seed: number;
  folds: Scores[];
  cvDice: number[];
  ensemble: Scores;
  post: Scores;
  tta: Scores;
  trainS: number;
  ensS: number;
}
const repeats: Repeat[] = [];
for (let r = 0; r < R; r++) {
  const mmar = join(dir, `synth${r}`),
    held = join(dir, `heldout${r}`);
  await must(['init', '--example', 'synthetic', mmar, '--force', '--size', size, '--train-cases', trainCases, '--val-cases', '1', '--seed', String(r)]);
  await must(['init', '--example', 'synthetic', held, '--force', '--size', size, '--train-cases', heldCases, '--val-cases', '1', '--seed', String(100 + r)]);
  // the other seed's cases as a held-out list of the MMAR's datalist
  const dl = join(mmar, 'data', 'dataset.json');
  const d = JSON.parse(readFileSync(dl, 'utf8'));
  d.heldout = JSON.parse(readFileSync(join(held, 'data', 'dataset.json'), 'utf8')).training.map((e: { image: string; label: string }) => ({
    image: join(held, 'data', e.image),
    label: join(held, 'data', e.label),
  }));
  writeFileSync(dl, JSON.stringify(d, null, 2));
  let trainS = 0;
  for (let f = 0; f < K; f++) {
    trainS += await must(['train', '-m', mmar, '--fold', String(f), '--set', `num_folds=${K}`, `epochs=${epochs}`, '-q']);
    load.push(loadavg()[0]);
  }
  const ensS = await must([
    'ensemble',
    '-m',
    mmar,
    '--folds',
    Array.from({ length: K }, (_, i) => i).join(','),
    '-o',
    join(mmar, 'ensemble'),
    '--held-out',
    'heldout',
    '--tta',
  ]);
  load.push(loadavg()[0]);
  const res = JSON.parse(readFileSync(join(mmar, 'ensemble', 'results.json'), 'utf8'));
  const h = res.held_out;
  const rep: Repeat = {
    seed: r,
    folds: h.per_fold,
    cvDice: res.per_fold.map((p: { cv: Scores }) => p.cv.dice),
    ensemble: h.ensemble,
    post: h.ensemble_postprocessed,
    tta: h.ensemble_tta,
    trainS: trainS / K,
    ensS,
  };
  repeats.push(rep);
  const best = Math.max(...rep.folds.map((s) => s.dice));
  process.stderr.write(
    `cv_ensemble: repeat ${r + 1}/${R} (seed ${r}, held-out seed ${100 + r}, ${h.cases} cases): folds ${rep.folds.map((s) => s.dice.toFixed(4)).join(' ')}, ensemble ${rep.ensemble.dice.toFixed(4)} (${rep.ensemble.dice - best >= 0 ? '+' : ''}${(rep.ensemble.dice - best).toFixed(4)} vs best fold), TTA ${rep.tta.dice.toFixed(4)}\n`,
  );
}

const med = (f: (r: Repeat) => number) => median(repeats.map(f));
const bestFold = (r: Repeat) => Math.max(...r.folds.map((s) => s.dice));
const cvPicked = (r: Repeat) => r.folds[r.cvDice.indexOf(Math.max(...r.cvDice))].dice;
const meanFold = (r: Repeat) => r.folds.reduce((a, s) => a + s.dice, 0) / r.folds.length;
const each = (f: (r: Repeat) => number) => repeats.map((r) => Number(f(r).toFixed(6))).join(' ');
const figures: Figure[] = [
  {
    name: 'best_single_fold_dice',
    value: med(bestFold),
    unit: 'dice',
    per_repeat: each(bestFold),
    note: 'the fold best on the held-out cases themselves (oracle)',
  },
  { name: 'cv_picked_fold_dice', value: med(cvPicked), unit: 'dice', per_repeat: each(cvPicked), note: 'the fold with the best cross-validation Dice' },
  { name: 'mean_single_fold_dice', value: med(meanFold), unit: 'dice', per_repeat: each(meanFold) },
  {
    name: 'ensemble_dice',
    value: med((r) => r.ensemble.dice),
    unit: 'dice',
    per_repeat: each((r) => r.ensemble.dice),
    hd95_mm: med((r) => r.ensemble.hd95),
    nsd: med((r) => r.ensemble.nsd),
  },
  {
    name: 'ensemble_postprocessed_dice',
    value: med((r) => r.post.dice),
    unit: 'dice',
    per_repeat: each((r) => r.post.dice),
    hd95_mm: med((r) => r.post.hd95),
    nsd: med((r) => r.post.nsd),
  },
  {
    name: 'ensemble_tta_dice',
    value: med((r) => r.tta.dice),
    unit: 'dice',
    per_repeat: each((r) => r.tta.dice),
    hd95_mm: med((r) => r.tta.hd95),
    nsd: med((r) => r.tta.nsd),
  },
  {
    name: 'ensemble_minus_best_fold',
    value: med((r) => r.ensemble.dice - bestFold(r)),
    unit: 'dice',
    per_repeat: each((r) => r.ensemble.dice - bestFold(r)),
    rule: 'the ensemble should not lose (>= 0)',
  },
  {
    name: 'ensemble_minus_cv_picked_fold',
    value: med((r) => r.ensemble.dice - cvPicked(r)),
    unit: 'dice',
    per_repeat: each((r) => r.ensemble.dice - cvPicked(r)),
  },
  { name: 'ensemble_minus_mean_fold', value: med((r) => r.ensemble.dice - meanFold(r)), unit: 'dice', per_repeat: each((r) => r.ensemble.dice - meanFold(r)) },
  { name: 'repeats_ensemble_not_below_best_fold', value: repeats.filter((r) => r.ensemble.dice >= bestFold(r)).length, unit: `of ${R}` },
  { name: 'train_wall_per_fold', value: med((r) => r.trainS), unit: 's' },
  { name: 'ensemble_build_wall', value: med((r) => r.ensS), unit: 's' },
];
printTable(figures.map((f) => ({ name: f.name, value: f.value, unit: f.unit })));
writeResults('cv_ensemble', figures, {
  load_average_1m: load,
  repeats: R,
  held_out_cases: Number(heldCases),
  train_cases: Number(trainCases),
  train_seeds: repeats.map((r) => r.seed),
  held_out_seeds: repeats.map((r) => 100 + r.seed),
  folds: K,
  epochs: Number(epochs),
  size: Number(size),
  command: `npm run bench -- cv_ensemble --repeats ${R} --epochs ${epochs} --size ${size} --folds ${K} --train-cases ${trainCases} --held-out ${heldCases}`,
});
if (!keep) rmSync(dir, { recursive: true, force: true });
