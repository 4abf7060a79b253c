// A distance key metric (HD95: lower is better) as the AutoML objective, with real child jobs
// (test/automl/fixtures/fake-train.mjs with fake_distance: val_hd95 = 20 × (1 − its score)):
// every controller (grid, random, reinforcement, TPE, BYOC) is given the search score
// (−HD95) and the search keeps the job with the LOWEST HD95 as its best (summary, best/,
// stats.json, leaderboard), while the journal and the handlers keep HD95's own value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { Journal } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import { leaderboard } from '../../src/automl/handlers/mlflow.js';
import { wilcoxonPrune } from '../../src/automl/wilcoxon.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

const RECORDING_CONTROLLER = `
import { appendFileSync } from 'node:fs';
export class Recording {
  constructor(args) { this.record = args.record === true; this.n = 0; this.lrs = [1e-5, 1e-3, 3e-2, 1e-4]; }
  set_search_space(space) { this.space = space; }
  rec() {
    if (this.n >= this.lrs.length) return [];
    const values = {};
    for (const it of this.space.items) values[it.key] = it.type === 'enum' ? 1 : it.args.includes('learning_rate') ? this.lrs[this.n] : (it.range[0] + it.range[1]) / 2;
    return [{ id: this.n++, values }];
  }
  initial_recommendation() { return this.rec(); }
  refine_recommendation(outcome, ctx) { if (this.record) appendFileSync(ctx.RUN_ROOT + '/recorded.jsonl', JSON.stringify({ job: outcome.jobName, score: outcome.score }) + '\\n'); return this.rec(); }
}
`;

const CONTROLLERS: [string, Record<string, unknown>][] = [
  ['GridController', { name: 'GridController', args: { float_points: 3, max_rounds: 6, max_jobs_per_round: 2 } }],
  ['RandomController', { name: 'RandomController', args: { max_rounds: 3, max_jobs_per_round: 2, seed: 3 } }],
  ['ReinforcementController', { name: 'ReinforcementController', args: { max_rounds: 3, max_jobs_per_round: 2, seed: 3 } }],
  ['TPEController', { name: 'TPEController', args: { max_rounds: 6, max_jobs_per_round: 1, n_startup_trials: 3, seed: 3 } }],
  ['BYOC', { path: 'recording.Recording', args: { record: true } }],
];

for (const [name, controller] of CONTROLLERS) {
  test(`${name}: HD95 as the key metric: the lowest HD95 is the best job; the journal keeps HD95's value`, { timeout: 120_000 }, async () => {
    const mmar = makeMmar({
      train: trainConfig({ epochs: 2, fake_distance: true }),
      automl: automlConfig({ controller }),
      files: { 'custom/recording.js': RECORDING_CONTROLLER },
    });
    const s = await runAutoML({ mmarRoot: mmar, runId: 'd', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu', log: () => {} });
    const done = s.outcomes.filter((o) => o.status === 'FINISHED');
    assert.ok(done.length >= 3, `${done.length} finished: ${s.outcomes.map((o) => o.error)}`);
    const run = join(mmar, 'automl', 'd');
    const journal = Journal.read(join(run, 'journal.jsonl'))
      .filter((e) => e.type === 'job_end')
      .map((e) => (e as { outcome: Outcome }).outcome);
    for (const o of journal) {
      assert.equal(o.lowerIsBetter, true);
      assert.ok(o.score > 0 && o.score <= 20, `the journal holds HD95 itself: ${o.score}`);
    }
    const lowest = Math.min(...done.map((o) => o.score));
    assert.ok(
      done.some((o) => o.score > lowest),
      'the jobs differ',
    );
    assert.equal(s.best!.score, lowest, 'the best job has the lowest HD95');
    const bestStats = JSON.parse(readFileSync(join(run, 'best', 'models', 'train_stats.json'), 'utf8'));
    assert.equal(bestStats.best_key_metric, lowest, 'best/ holds the lowest-HD95 job');
    const stats = JSON.parse(readFileSync(join(run, 'stats.json'), 'utf8'));
    assert.equal(stats.best.score, lowest);
    const board = leaderboard(s.outcomes);
    assert.equal(board[0].score, lowest, 'leaderboard: lowest HD95 first');
    if (name === 'BYOC') {
      const seen = readFileSync(join(run, 'recorded.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { job: string; score: number });
      assert.equal(seen.length, journal.length);
      for (const r of seen) assert.equal(r.score, -journal.find((o) => o.jobName === r.job)!.score, 'a controller maximises −HD95');
    }
  });
}

test('the median pruner stops a job whose HD95 is above the median (not below it)', { timeout: 120_000 }, async () => {
  // lr 1e-3 is the best fake job (lowest HD95); 1e-5 the worst: pruned at epoch 2 of 4 after 2 good jobs
  const mmar = makeMmar({
    train: trainConfig({ epochs: 4, fake_distance: true, fake_epoch_ms: 150 }),
    automl: automlConfig({
      controller: { path: 'recording.Recording', args: {} },
      pruner: { name: 'MedianPruner', args: { n_startup_jobs: 2, n_warmup_epochs: 1 } },
    }),
    files: { 'custom/recording.js': RECORDING_CONTROLLER.replace('[1e-5, 1e-3, 3e-2, 1e-4]', '[1e-3, 1.1e-3, 1e-5]') },
  });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'p', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu', log: () => {} });
  assert.deepEqual(
    s.outcomes.map((o) => o.status),
    ['FINISHED', 'FINISHED', 'PRUNED'],
  );
  assert.ok(s.outcomes[2].score > s.outcomes[0].score, 'the pruned job had the higher HD95');
  assert.equal(s.best!.jobName, s.outcomes[0].jobName);
});

test('the Wilcoxon rule for a distance: higher per-case HD95 is worse', () => {
  const best = { a: 2, b: 3, c: 2.5, d: 4 };
  const worse = { a: 6, b: 7, c: 8, d: 9 };
  assert.equal(wilcoxonPrune(worse, best, { pThreshold: 0.1, nStartup: 2, lowerIsBetter: true }).prune, true);
  assert.equal(wilcoxonPrune(worse, best, { pThreshold: 0.1, nStartup: 2 }).prune, false, 'read as a score, higher is better: no prune');
  assert.equal(wilcoxonPrune(best, worse, { pThreshold: 0.1, nStartup: 2, lowerIsBetter: true }).prune, false);
});
