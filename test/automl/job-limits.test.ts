// One bad case cannot hold a worker forever (#19, 8): jobs get a default time limit derived
// from the train config, and a job with no progress event and no log output for stall_s
// seconds is stopped as TIMEOUT (score -1000000) while the search goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { runAutoML } from '../../src/automl/run.js';
import { defaultJobTimeoutS, jobLimits } from '../../src/automl/job-limits.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

test('the default time limit follows the configured epochs; stall_s defaults to 30 minutes', () => {
  assert.deepEqual(jobLimits({}, { epochs: 4 }, { file: 'a.json', path: 'executor.args' }), { timeoutS: 7200, stallS: 1800 });
  assert.equal(defaultJobTimeoutS({ epochs: 1 }), 3600);
  assert.equal(defaultJobTimeoutS({ epochs: '{x}' }), 100 * 1800);
  assert.deepEqual(jobLimits({ timeout_s: 0, stall_s: 0 }, { epochs: 4 }, { path: 'executor.args' }), { timeoutS: 0, stallS: 0 });
  assert.throws(
    () => jobLimits({ stall_s: -1 }, {}, { file: 'a.json', path: 'executor.args' }),
    /a\.json: executor\.args\.stall_s: expected stall_s in seconds/,
  );
});

test('a hung job is stopped by the stall detector and scored -1000000; the others finish', async () => {
  const train = trainConfig({ fake_hang: false });
  train.search = [{ domain: 'net', type: 'enum', args: ['fake_hang'], targets: [[true], [false]] }];
  const mmar = makeMmar({
    train,
    automl: automlConfig({ controller: { name: 'GridController', args: { float_points: 1 } }, executorArgs: { stall_s: 2 } }),
  });
  const t0 = Date.now();
  const s = await runAutoML({ mmarRoot: mmar, runId: 'stall', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu', log: () => {} });
  assert.equal(s.outcomes.length, 2);
  const hung = s.outcomes.find((o) => o.status === 'TIMEOUT');
  assert.equal(hung?.status, 'TIMEOUT', JSON.stringify(s.outcomes.map((o) => [o.status, o.error])));
  assert.match(String(hung?.error), /stalled: no progress event and no log output for \d+s \(stall_s 2\)/);
  assert.equal(hung?.score, -1000000);
  assert.equal(s.outcomes.filter((o) => o.status === 'FINISHED').length, 1);
  assert.ok(Date.now() - t0 < 60_000);
  rmSync(mmar, { recursive: true, force: true });
});
