// Search budgets (src/automl/budget.ts) read from config_automl.json and --set, and applied
// by the engine to real child jobs (the fake train): max_trials counts configurations that
// finished with a score, max_sys_run_time stops the search, max_job_run_time is timeout_s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBudget, withJobRunTime } from '../../src/automl/budget.js';
import { runAutoML } from '../../src/automl/run.js';
import { Journal } from '../../src/automl/journal.js';
import { ClaraError } from '../../src/util/errors.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

function cfgFile(j: Record<string, unknown>): string {
  const mmar = makeMmar({ automl: j });
  return join(mmar, 'config', 'config_automl.json');
}

test('budgets come from config_automl.json, --set wins; bad values name the key', () => {
  const f = cfgFile({ ...automlConfig(), max_trials: 5, max_sys_run_time: 60, max_job_run_time: 10 });
  assert.deepEqual(readBudget(f, {}), { maxTrials: 5, maxSysRunTimeS: 60, maxJobRunTimeS: 10 });
  assert.deepEqual(readBudget(f, { max_trials: '2' }), { maxTrials: 2, maxSysRunTimeS: 60, maxJobRunTimeS: 10 });
  assert.throws(
    () => readBudget(f, { max_trials: '2.5' }),
    (e: unknown) => e instanceof ClaraError && /--set max_trials: max_trials must be a whole number/.test(e.message),
  );
  const bad = cfgFile({ ...automlConfig(), max_sys_run_time: 'soon' });
  assert.throws(
    () => readBudget(bad, {}),
    (e: unknown) => e instanceof ClaraError && /config_automl\.json: max_sys_run_time: .*seconds > 0, got "soon"/.test(e.message),
  );
  assert.deepEqual(withJobRunTime({ stall_s: 5 }, { maxJobRunTimeS: 9 }, f), { stall_s: 5, timeout_s: 9 });
  assert.deepEqual(withJobRunTime({ timeout_s: 9 }, { maxJobRunTimeS: 9 }, f), { timeout_s: 9 });
  assert.throws(() => withJobRunTime({ timeout_s: 3 }, { maxJobRunTimeS: 9 }, f), /max_job_run_time \(9\) and executor\.args\.timeout_s \(3\) disagree/);
});

test('max_trials counts configurations that finished with a score: failed ones do not use it up', async () => {
  const train = trainConfig({ epochs: 2 }) as { search: unknown[] };
  train.search.push({ domain: 'net', type: 'enum', args: ['fake_crash'], targets: [[true], [false]] });
  const mmar = makeMmar({ train, automl: { ...automlConfig({ controller: { name: 'RandomController', args: { max_trials: 12, seed: 4 } } }), max_trials: 3 } });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'mt', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu', log: () => {} });
  const finished = s.outcomes.filter((o) => o.status === 'FINISHED');
  const failed = s.outcomes.filter((o) => o.status === 'FAILED');
  assert.equal(finished.length, 3, JSON.stringify(s.outcomes.map((o) => o.status)));
  assert.ok(failed.length >= 1, 'the seed gives at least one crashing configuration');
  assert.ok(s.outcomes.length < 12);
  assert.equal(s.stoppedBy, 'max_trials 3');
  const end = Journal.read(join(mmar, 'automl', 'mt', 'journal.jsonl')).at(-1);
  assert.deepEqual(end && end.type === 'run_end' ? end.reason : undefined, 'max_trials 3');
});

test('max_sys_run_time stops the search (running jobs end KILLED); max_job_run_time times a job out', async () => {
  const mmar = makeMmar({ train: trainConfig({ epochs: 20, fake_epoch_ms: 300 }), automl: { ...automlConfig(), max_sys_run_time: 2 } });
  const t0 = Date.now();
  const s = await runAutoML({ mmarRoot: mmar, runId: 'st', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu', log: () => {} });
  assert.match(s.stoppedBy ?? '', /^max_sys_run_time 2s/);
  assert.ok(Date.now() - t0 < 15_000);
  assert.ok(s.outcomes.some((o) => o.status === 'KILLED'));

  const m2 = makeMmar({
    train: trainConfig({ epochs: 20, fake_epoch_ms: 300 }),
    automl: { ...automlConfig({ controller: { name: 'RandomController', args: { max_trials: 1, seed: 1 } } }) },
  });
  writeFileSync(
    join(m2, 'config', 'config_automl.json'),
    JSON.stringify({ ...automlConfig({ controller: { name: 'RandomController', args: { max_trials: 1, seed: 1 } } }), max_job_run_time: 1 }),
  );
  const s2 = await runAutoML({ mmarRoot: m2, runId: 'jt', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu', log: () => {} });
  assert.equal(s2.outcomes[0].status, 'TIMEOUT');
  assert.match(s2.outcomes[0].error ?? '', /time limit of 1s/);
});
