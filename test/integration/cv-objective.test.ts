// End to end, a REAL 3-fold search on the synthetic example with HD95 (lower is better) as
// the key metric: a good configuration (learning rate 1e-2) and a clearly bad one (learning
// rate 0), in that order, on one worker. The Wilcoxon fold pruner drops the bad one after 2
// folds (4 paired validation cases, every one with a higher HD95: p = 1/16 < 0.1), so its
// third fold never runs (no folder, no MLflow run); the search's best (summary, stats.json,
// leaderboard, cv_results.json, best/) is the configuration with the LOWEST HD95, and the
// journal, leaderboard and MLflow keep HD95's own value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import { cvExample, mlrunsRuns, readJson, writeJson } from '../helpers/cv-example.js';

test(
  'HD95 as the key metric of a real 3-fold search: the Wilcoxon pruner drops learning rate 0 after 2 folds; the lowest HD95 wins',
  { timeout: 600_000 },
  async (t) => {
    const { tmp, mmar, cli } = await cvExample(t, 'clara-cvobj-', (tc) => {
      tc.epochs = 8;
      tc.num_interval_per_valid = 2;
      tc.validate.key_metric = { name: 'HausdorffDistance', log_label: 'val_hd95', args: { percentile: 95, include_background: false } };
      tc.validate.additional_metrics = [{ name: 'MeanDice', log_label: 'val_mean_dice', args: { include_background: false } }];
      tc.search = [{ domain: 'lr', type: 'enum', args: ['learning_rate'], targets: [[1e-2], [0]] }];
    });
    writeJson(join(mmar, 'config', 'config_automl_cv.json'), {
      num_folds: 3,
      cv_pruner: { name: 'WilcoxonPruner', args: { p_threshold: 0.1, n_startup_steps: 2 } },
      handlers: [
        { name: 'MMARHandler', args: { train_config_file: '{trainconf}' } },
        { name: 'StatsHandler' },
        { name: 'MMARStatsHandler' },
        { name: 'MLflowHandler', args: { experiment_name: 'cv_hd95' } },
      ],
      executor: { name: 'MMARExecutor', args: {} },
      controller: { name: 'GridController', args: { max_rounds: 1, max_jobs_per_round: 2 } },
    });
    const r = await cli(['automl', '-m', mmar, '--set', 'run_id=hd', 'workers=cpu', '--config', 'config/config_automl_cv.json'], 540_000);
    assert.equal(r.code, 0, r.err.slice(-3000));
    const run = join(mmar, 'automl', 'hd');

    const [good, bad] = Journal.read(join(run, 'journal.jsonl'))
      .filter((e) => e.type === 'job_end')
      .map((e) => (e as { outcome: Outcome }).outcome);
    assert.equal(good.recommendation.values[Object.keys(good.recommendation.values)[0]], 0, 'the grid runs learning rate 1e-2 (choice 0) first');
    assert.equal(good.status, 'FINISHED', good.error);
    assert.equal(good.lowerIsBetter, true);
    assert.deepEqual(
      good.folds!.map((f) => f.fold),
      [0, 1, 2],
    );
    for (let f = 0; f < 3; f++) {
      const st = readJson(join(run, good.jobName, `cv_fold${f}`, 'models', `fold${f}`, 'train_stats.json'));
      assert.equal(st.key_metric_name, 'val_hd95');
      assert.equal(st.key_metric_lower_is_better, true);
      assert.equal(st.best_key_metric, good.folds![f].score, 'the fold score is its lowest HD95');
      assert.equal(st.best_key_metric, Math.min(...st.val_metrics.map((v: { metrics: Record<string, number> }) => v.metrics.val_hd95)));
    }
    assert.equal(bad.status, 'PRUNED', JSON.stringify(bad));
    assert.deepEqual(
      bad.folds!.map((f) => f.fold),
      [0, 1],
      'pruned after its second fold',
    );
    assert.equal(Object.keys(bad.perCase!).length, 4);
    for (const [id, v] of Object.entries(bad.perCase!)) assert.ok(v > good.perCase![id], `case ${id}: HD95 ${v} (lr 0) > ${good.perCase![id]}`);
    assert.match(r.err, new RegExp(`pruning ${bad.jobName} after fold 2/3: worse than ${good.jobName} on 4 paired case\\(s\\).*Wilcoxon p 0\\.0625 < 0\\.1`));
    assert.ok(!existsSync(join(run, bad.jobName, 'cv_fold2')), 'the pruned fold never ran');
    assert.ok(good.score > 0 && good.score < bad.score, `HD95 own values: ${good.score} < ${bad.score}`);

    // the best is the lowest HD95 everywhere
    assert.equal(readJson(join(run, 'stats.json')).best.job, good.jobName);
    assert.equal(readJson(join(run, 'cv_results.json')).best, good.jobName);
    const board = readJson(join(run, 'leaderboard.json'));
    assert.deepEqual(
      board.map((b: { job: string; score: number }) => [b.job, b.score]),
      [
        [good.jobName, good.score],
        [bad.jobName, bad.score],
      ],
    );
    assert.match(r.out + r.err, new RegExp(`best ${good.jobName} score ${good.score}`));
    assert.deepEqual(readJson(join(run, 'best', 'ensemble.json')).members, ['fold0', 'fold1', 'fold2']);

    // MLflow (./mlruns): the pruned configuration has 2 fold runs, the good one 3; the parent says minimize
    const runs = mlrunsRuns(tmp).map((x) => x.tags);
    assert.equal(runs.filter((x) => x['clara.kind'] === 'fold' && x['clara.job_name'] === good.jobName).length, 3);
    assert.equal(runs.filter((x) => x['clara.kind'] === 'fold' && x['clara.job_name'] === bad.jobName).length, 2);
    assert.ok(
      runs.some((x) => x['clara.objective'] === 'minimize' && x['clara.best_job'] === good.jobName),
      'the parent run: objective minimize, best job the lowest HD95',
    );
  },
);
