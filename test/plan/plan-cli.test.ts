// `clara-train plan` end to end as a child process: a synthetic dataset becomes an MMAR that
// `config check` accepts and `train` runs unchanged; a second plan reuses the fingerprint; a
// broken dataset is refused with every bad file named and nothing written; usage errors are one line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initExample } from '../../src/cli/init/init-example.js';
import { runCli } from '../helpers/run-cli.js';
import { breakDataset } from './datasets.js';

let tmp: string, data: string;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'clara-plan-cli-'));
  await initExample({ example: 'synthetic', dir: join(tmp, 'synth'), trainCases: 4, valCases: 2, size: 24 });
  data = join(tmp, 'synth', 'data');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('plan → a complete MMAR that config check accepts and train runs unchanged', { timeout: 1_200_000 }, async () => {
  const out = join(tmp, 'mmar');
  const r = await runCli(['plan', data, '-o', out, '--memory-budget', '0.25', '--iterations', '8']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /fingerprint \[#+\] 6\/6/);
  assert.match(r.stderr, /MMAR ready/);
  for (const f of [
    'config/config_train.json',
    'config/config_automl.json',
    'config/environment.json',
    'config/datalist.json',
    'plan/plan.json',
    'plan/fingerprint.json',
  ]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const plan = JSON.parse(readFileSync(join(out, 'plan', 'plan.json'), 'utf8'));
  assert.equal(plan.normalization.scheme, 'CTNormalization');
  assert.deepEqual(plan.patch_size.value, [24, 24, 24]);
  assert.ok(plan.memory.measured_bytes > 0 && plan.memory.measured_bytes <= 0.25 * 2 ** 30);
  for (const k of ['target_spacing', 'normalization', 'network', 'patch_size', 'batch_size', 'memory', 'sliding_window', 'training', 'search', 'automl']) {
    assert.ok(typeof plan[k].reason === 'string' && plan[k].reason.length > 20, `${k} has a reason`);
  }
  const dl = JSON.parse(readFileSync(join(out, 'config', 'datalist.json'), 'utf8'));
  assert.equal(dl.training.length, 4);
  assert.equal(dl.validation.length, 2);
  const check = await runCli(['config', 'check', '-m', out]);
  assert.equal(check.code, 0, check.stderr + check.stdout);
  assert.match(check.stdout, /net\.enum\.train\.model\$0:channels/);
  const slow = { timeoutMs: 600_000 }; // a shared, loaded machine can be very slow
  const train = await runCli(['train', '-m', out, '--set', 'epochs=1', 'num_interval_per_valid=1'], slow);
  assert.equal(train.code, 0, `exit ${train.code} ${train.signal ?? ''}: ${train.stderr}`);
  const stats = JSON.parse(readFileSync(join(out, 'models', 'train_stats.json'), 'utf8'));
  assert.ok(stats.best_key_metric >= 0 && stats.best_key_metric <= 1, JSON.stringify(stats).slice(0, 300));
  // planning again reads the fingerprint from the cache
  const again = await runCli(['plan', data, '-o', out, '--memory-budget', '0.25', '--iterations', '8']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /fingerprint: 6 of 6 case\(s\) from the cache/);
  // automl runs the planned search unchanged (one round of two jobs here)
  const automl = JSON.parse(readFileSync(join(out, 'config', 'config_automl.json'), 'utf8'));
  assert.equal(automl.controller.name, 'TPEController');
  automl.controller.args.max_rounds = 1;
  automl.controller.args.max_trials = 2;
  writeFileSync(join(out, 'config', 'config_automl_one.json'), JSON.stringify(automl));
  const run = await runCli(['automl', '-m', out, '--set', 'run_id=p1', 'workers=cpu:cpu', '--config', 'config/config_automl_one.json'], {
    ...slow,
    env: { MLFLOW_TRACKING_URI: `file:${join(tmp, 'mlruns')}` },
  });
  assert.equal(run.code, 0, `exit ${run.code} ${run.signal ?? ''}: ${run.stderr}`);
  assert.match(run.stderr + run.stdout, /2 job\(s\); best W\d_1_J\d score 0\.\d+/);
  assert.doesNotMatch(run.stderr + run.stdout, /FAILED/);
  assert.ok(existsSync(join(tmp, 'mlruns')), 'the runs went to the test folder');
});

test('a broken dataset: every bad file is named, exit 1, no MMAR written', { timeout: 120_000 }, async () => {
  const b = await breakDataset(data, join(tmp, 'broken'));
  const out = join(tmp, 'broken-mmar');
  const r = await runCli(['plan', b.dir, '-o', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /3 problem\(s\) in 3 case\(s\); nothing was planned/);
  for (const f of [b.affineLabel, b.nanImage, b.badValueLabel]) assert.ok(r.stderr.includes(f), `names ${f}`);
  assert.ok(!existsSync(join(out, 'config')));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('usage errors are one line', async () => {
  const bad = await runCli(['plan', data, '-o', join(tmp, 'x'), '--memory-budget', 'lots']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.trim(), `error: '--memory-budget' must be a number, got "lots"`);
  const none = await runCli(['plan', join(tmp, 'nowhere'), '-o', join(tmp, 'y')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr.trim(), /^error: .*nowhere: no such dataset folder or dataset.json$/);
  const full = await runCli(['plan', data, '-o', join(tmp, 'synth')]);
  assert.match(full.stderr.trim(), /^error: .*synth: the output folder exists, is not empty and is not a planned MMAR \(use --force to write into it\)$/);
});
