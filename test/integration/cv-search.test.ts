// End to end, cross-validated: the synthetic example (6 training cases in 3 folds + 2
// held-out validation cases) searched by the REAL `clara-train automl` with `num_folds: 3`
// and REAL `train` jobs (one per configuration × fold), then the best configuration's fold
// ensemble in best/ run by `infer --model best --input` (plain, --tta). Checks: every fold of
// a configuration validates other cases, the score is the mean of the folds, per-case
// scores are journalled, results.json holds per-fold, ensemble and postprocessed Dice /
// HD95 / NSD, the split is the same saved split in every job, and MLflow (mlruns) has one
// run per configuration with a nested run per fold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Journal } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import { cvExample, mlrunsRuns, readJson, writeJson } from '../helpers/cv-example.js';

test('a 3-fold search ends with a best/ fold ensemble that infer runs (plain, --tta, postprocessed)', { timeout: 600_000 }, async (t) => {
  const { tmp, mmar, cli } = await cvExample(t, 'clara-cv-', (tc) => {
    tc.epochs = 2;
    tc.num_interval_per_valid = 1;
  });
  writeJson(join(mmar, 'config', 'config_automl_cv.json'), {
    num_folds: 3,
    handlers: [
      { name: 'MMARHandler', args: { train_config_file: '{trainconf}' } },
      { name: 'StatsHandler' },
      { name: 'MLflowHandler', args: { experiment_name: 'cv' } },
    ],
    executor: { name: 'MMARExecutor', args: {} },
    controller: { name: 'RandomController', args: { max_rounds: 1, max_jobs_per_round: 2, seed: 0 } },
  });
  const r = await cli(['automl', '-m', mmar, '--set', 'run_id=cv', 'workers=cpu:cpu', '--config', 'config/config_automl_cv.json'], 540_000);
  assert.equal(r.code, 0, r.err.slice(-3000));
  const run = join(mmar, 'automl', 'cv');

  const outcomes = Journal.read(join(run, 'journal.jsonl'))
    .filter((e) => e.type === 'job_end')
    .map((e) => (e as { outcome: Outcome }).outcome);
  assert.equal(outcomes.length, 2);
  const splits = readFileSync(join(run, outcomes[0].jobName, 'cv_fold0', 'config', 'splits_final.json'), 'utf8');
  for (const o of outcomes) {
    assert.equal(o.status, 'FINISHED', o.error);
    assert.deepEqual(
      o.folds!.map((f) => f.fold),
      [0, 1, 2],
    );
    assert.ok(Math.abs(o.score - o.folds!.reduce((s, f) => s + f.score, 0) / 3) < 1e-12, 'the score is the mean over the folds');
    assert.equal(Object.keys(o.perCase!).length, 6, 'every training case is validated once over the folds');
    for (let f = 0; f < 3; f++) {
      assert.equal(readFileSync(join(run, o.jobName, `cv_fold${f}`, 'config', 'splits_final.json'), 'utf8'), splits, 'one split for every job and fold');
      const stats = readJson(join(run, o.jobName, `cv_fold${f}`, 'models', `fold${f}`, 'train_stats.json'));
      assert.equal(stats.best_key_metric, o.folds![f].score);
    }
  }
  const cvr = readJson(join(run, 'cv_results.json'));
  assert.equal(cvr.num_folds, 3);
  const bestOutcome = outcomes.reduce((a, b) => (b.score > a.score ? b : a));
  assert.equal(cvr.best, bestOutcome.jobName);

  // MLflow (the ./mlruns file store): one run per configuration, one nested run per fold with its epochs
  const runs = mlrunsRuns(tmp);
  const configRuns = runs.filter((x) => x.tags['clara.kind'] === 'job');
  const foldRuns = runs.filter((x) => x.tags['clara.kind'] === 'fold');
  assert.equal(configRuns.length, 2);
  assert.equal(foldRuns.length, 6);
  for (const fr of foldRuns) {
    assert.ok(
      configRuns.some((c) => c.id === fr.tags['mlflow.parentRunId'] && c.tags['clara.job_name'] === fr.tags['clara.job_name']),
      "nested in its configuration's run",
    );
    assert.ok(fr.metrics.includes('val_mean_dice') && fr.metrics.includes('score'), `fold run metrics: ${fr.metrics}`);
  }

  const best = join(run, 'best');
  const manifest = readJson(join(best, 'ensemble.json'));
  assert.deepEqual(manifest.members, ['fold0', 'fold1', 'fold2']);
  const res = readJson(join(best, 'results.json'));
  assert.equal(res.per_fold.length, 3);
  res.per_fold.forEach((p: { cv: { dice: number }; fold: number }, f: number) => {
    assert.equal(p.fold, f);
    // the exported fold model scores its own validation cases as its training did
    assert.ok(Math.abs(p.cv.dice - bestOutcome.folds![f].score) < 1e-4, `fold ${f}: ${p.cv.dice} vs ${bestOutcome.folds![f].score}`);
  });
  for (const k of ['dice', 'hd95', 'nsd']) {
    assert.equal(typeof res.cross_validation.raw[k], 'number', `cv ${k}`);
    assert.equal(typeof res.cross_validation.postprocessed[k], 'number', `cv post ${k}`);
    assert.equal(typeof res.held_out.ensemble[k], 'number', `held-out ensemble ${k}`);
    assert.equal(typeof res.held_out.ensemble_postprocessed[k], 'number', `held-out postprocessed ${k}`);
    assert.equal(typeof res.held_out.ensemble_tta[k], 'number', `held-out tta ${k}`);
  }
  assert.equal(res.held_out.cases, 2);
  assert.equal(res.held_out.per_fold.length, 3);
  assert.ok(Array.isArray(res.postprocessing.largest_component_classes));

  const image = join(mmar, 'data', 'imagesTr', 'case_007.nii.gz');
  for (const extra of [[], ['--tta'], ['--no-postprocess']]) {
    const out = join(tmp, `out${extra.join('')}`);
    const inf = await cli(['infer', '--model', best, '--input', image, '-o', out, ...extra], 120_000);
    assert.equal(inf.code, 0, inf.err);
    assert.ok(existsSync(join(out, 'case_007_seg.nii.gz')), `${extra}: segmentation written`);
  }
});
