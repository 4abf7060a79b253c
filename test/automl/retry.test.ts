// Retries of failed jobs (max_failures) with real child processes (fake-train.mjs as train).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { Journal } from '../../src/automl/journal.js';
import { FAILED_SCORE } from '../../src/automl/types.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

test('a job that keeps failing is tried max_failures + 1 times, its failure kind recorded, then scores as a failure and says why', async () => {
  const mmar = makeMmar({
    train: trainConfig({ fake_crash: true }),
    automl: { ...automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 1, max_jobs_per_round: 1, seed: 1 } } }), max_failures: 2 },
  });
  const lines: string[] = [];
  const r = await runAutoML({ mmarRoot: mmar, runId: 'rt', vars: { trainconf: 'trn_automl.json' }, log: (l) => lines.push(l) });
  const o = r.outcomes[0];
  assert.equal(o.status, 'FAILED');
  assert.equal(o.score, FAILED_SCORE);
  assert.equal(o.failure?.kind, 'exit_code');
  assert.equal(o.failure?.exitCode, 3);
  assert.deepEqual(
    o.attempts?.map((a) => [a.attempt, a.failure?.kind, a.fromEpoch]),
    [
      [1, 'exit_code', 0],
      [2, 'exit_code', 0],
      [3, 'exit_code', 0],
    ],
  );
  assert.match(o.error!, /gave up after 3 attempt\(s\) \(max_failures 2; failures: exit_code, exit_code, exit_code\)/);
  assert.equal(lines.filter((l) => /failed \(exit_code\); retry \d of 2 from the start/.test(l)).length, 2);
  const journal = Journal.read(join(mmar, 'automl', 'rt', 'journal.jsonl'));
  assert.equal(journal.filter((e) => e.type === 'job_attempt').length, 2);
  assert.equal(journal.filter((e) => e.type === 'job_start').length, 1, 'one job, tried three times');
  for (const n of [1, 2]) assert.ok(existsSync(join(mmar, 'automl', 'rt', o.jobName, `log.attempt${n}.txt`)));
  rmSync(mmar, { recursive: true, force: true });
});

test('max_failures: from --set over the config; a bad value names where it came from', async () => {
  const mmar = makeMmar({
    train: trainConfig({ fake_crash: true }),
    automl: { ...automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 1, max_jobs_per_round: 1, seed: 1 } } }), max_failures: 2 },
  });
  const r = await runAutoML({ mmarRoot: mmar, runId: 'rs', vars: { trainconf: 'trn_automl.json', max_failures: '0' }, log: () => {} });
  assert.equal(r.outcomes[0].attempts, undefined, '--set max_failures=0: no retry');
  assert.equal(r.outcomes[0].failure?.kind, 'exit_code');
  await assert.rejects(
    runAutoML({ mmarRoot: mmar, runId: 'rb', vars: { trainconf: 'trn_automl.json', max_failures: '-1' }, log: () => {} }),
    /--set max_failures: max_failures must be an integer >= 0/,
  );
  const bad = makeMmar({ automl: { ...automlConfig(), max_failures: 'x' } });
  await assert.rejects(
    runAutoML({ mmarRoot: bad, runId: 'rc', vars: { trainconf: 'trn_automl.json' }, log: () => {} }),
    /config_automl\.json.*max_failures.*got "x"/s,
  );
  rmSync(mmar, { recursive: true, force: true });
  rmSync(bad, { recursive: true, force: true });
});
