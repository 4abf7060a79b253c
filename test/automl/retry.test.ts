// Retries of failed jobs (max_failures) with real child processes (fake-train.mjs as train).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { Journal } from '../../src/automl/journal.js';
import { FAILED_SCORE } from '../../src/automl/types.js';
import { leaderboard } from '../../src/automl/handlers/mlflow.js';
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

// Out-of-memory back-off where a job is more than one training: a cross-validation fold and a
// successive-halving promotion. The fake train really holds fake_mb_per_batch MiB per batch
// element while it trains, and the executor's memory_limit_mb watch kills it (out of memory)
// at batch 8 (≈ 8 × 40 MiB + node's own ≈ 50 MiB > 260 MiB) but not at batch 4 (≈ 210 MiB).
const OOM_TRAIN = { fake_mb_per_batch: 40, fake_epoch_ms: 500, train: { dataloader: { args: { batch_size: 8 } } } };
function oomTrain(extra: Record<string, unknown>): Record<string, unknown> {
  const t = trainConfig({ ...OOM_TRAIN, ...extra }) as { train: Record<string, unknown> };
  t.train = { ...t.train, ...OOM_TRAIN.train };
  return t;
}
const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

test('a cross-validation fold that runs out of memory retries that fold at a halved batch; the later folds start there', { timeout: 120_000 }, async () => {
  const base = automlConfig({
    controller: { name: 'RandomController', args: { max_trials: 1, seed: 3 } },
    executorArgs: { memory_limit_mb: 260 },
  });
  const mmar = makeMmar({ train: oomTrain({ epochs: 2 }), automl: { ...base, max_failures: 2, num_folds: 2, cv_pruner: null } });
  const lines: string[] = [];
  const r = await runAutoML({ mmarRoot: mmar, runId: 'cvoom', vars: { trainconf: 'trn_automl.json' }, log: (l) => lines.push(l) });
  const o = r.outcomes[0];
  assert.equal(o.status, 'FINISHED', `${o.error}\n${lines.join('\n')}`);
  assert.deepEqual(
    o.folds?.map((f) => f.status),
    ['FINISHED', 'FINISHED'],
  );
  assert.deepEqual(o.fidelity, { batchSize: 4 }, 'the outcome says the size it was reached at');
  // fold 0: out of memory at batch 8, then finished at batch 4; fold 1 started at batch 4 and was not retried
  assert.deepEqual(
    o.attempts?.map((a) => [a.fold, a.attempt, a.status, a.failure?.kind, a.fidelity?.batchSize]),
    [
      [0, 1, 'FAILED', 'out_of_memory', undefined],
      [0, 2, 'FINISHED', undefined, 4],
    ],
  );
  assert.ok(
    lines.some((l) =>
      new RegExp(
        `${o.jobName} fold 1/2 ran out of memory \\(resident memory \\d+ MiB went over memory_limit_mb 260; killed\\); retry 1 of 2 at a lower fidelity: batch 8 → 4`,
      ).test(l),
    ),
    lines.join('\n'),
  );
  const run = join(mmar, 'automl', 'cvoom');
  for (const f of [0, 1]) assert.equal(readJson(join(run, o.jobName, `cv_fold${f}`, 'config', 'config_train.json')).train.dataloader.args.batch_size, 4);
  assert.ok(existsSync(join(run, o.jobName, 'cv_fold0', 'log.attempt1.txt')), "the failed attempt's log is kept");
  // journalled with its fold; in the leaderboard with its size
  const js = Journal.read(join(run, 'journal.jsonl')).filter((e) => e.type === 'job_attempt') as { attempt: { fold?: number; failure?: { kind: string } } }[];
  assert.deepEqual(
    js.map((e) => [e.attempt.fold, e.attempt.failure?.kind]),
    [[0, 'out_of_memory']],
  );
  const board = leaderboard(r.outcomes);
  assert.deepEqual(board[0].fidelity, { batchSize: 4 });
  assert.equal(board[0].attempts, 2);
  rmSync(mmar, { recursive: true, force: true });
});

test('an ASHA promotion that runs out of memory retries at a halved batch from its checkpoint and keeps its rung', { timeout: 120_000 }, async () => {
  const base = automlConfig({
    controller: { name: 'RandomController', args: { max_trials: 2, seed: 5 } },
    executorArgs: { memory_limit_mb: 260 },
  });
  // rungs of 1, 2 and 4 epochs: the first rung (epoch 1) fits at batch 8; epoch 2 on (the promotions) needs the memory
  const mmar = makeMmar({
    train: oomTrain({ epochs: 4, fake_mem_after_epoch: 1 }),
    automl: { ...base, max_failures: 2, scheduler: { name: 'ASHA', args: { min_epochs: 1, reduction_factor: 2 } } },
  });
  const lines: string[] = [];
  const r = await runAutoML({ mmarRoot: mmar, runId: 'ashaoom', vars: { trainconf: 'trn_automl.json' }, log: (l) => lines.push(l) });
  const firsts = r.outcomes.filter((o) => o.rung && !o.rung.promoted);
  assert.equal(firsts.length, 2);
  for (const f of firsts) assert.equal(f.status, 'FINISHED', f.error);
  assert.ok(
    firsts.every((f) => !f.attempts),
    'the first rung fits at batch 8',
  );
  const promoted = r.outcomes.filter((o) => o.rung?.promoted);
  assert.ok(promoted.length >= 1, lines.join('\n'));
  const p = promoted[0];
  assert.equal(p.status, 'FINISHED', `${p.error}\n${lines.join('\n')}`);
  assert.deepEqual(p.rung, { index: 1, epochs: 2, promoted: true, folder: p.rung!.folder }, 'the rung it was promoted to');
  // the next rung of the same configuration trains at the lowered size (no second out of memory) and says so
  const next = promoted.find((o) => o.rung!.folder === p.rung!.folder && o.rung!.index === 2);
  assert.ok(next, `promoted on to 4 epochs: ${promoted.map((o) => o.jobName).join(', ')}`);
  assert.equal(next.status, 'FINISHED', next.error);
  assert.equal(next.attempts, undefined);
  assert.deepEqual(next.fidelity, { batchSize: 4 });
  assert.equal(p.jobName, `${p.rung!.folder}_R1`);
  assert.deepEqual(
    p.attempts?.map((a) => [a.attempt, a.status, a.failure?.kind, a.fidelity?.batchSize]),
    [
      [1, 'FAILED', 'out_of_memory', undefined],
      [2, 'FINISHED', undefined, 4],
    ],
  );
  assert.deepEqual(p.fidelity, { batchSize: 4 });
  const dir = join(mmar, 'automl', 'ashaoom', p.rung!.folder);
  assert.equal(readJson(join(dir, 'config', 'config_train.json')).train.dataloader.args.batch_size, 4, 'lowered in the configuration folder');
  // continued from its rung-1 checkpoint: epoch 1 is the first rung's, trained once
  const first = firsts.find((f) => f.jobName === p.rung!.folder)!;
  const stats = readJson(join(dir, 'models', 'train_stats.json'));
  assert.equal(stats.epochs_completed, 4);
  assert.equal(stats.train_loss.length, 4);
  assert.deepEqual(
    p.history?.map((h) => h.epoch),
    [2],
    "the promotion's own rung only",
  );
  assert.ok(first.history?.some((h) => h.epoch === 1));
  const logs = readdirSync(dir).filter((n) => /^log\.attempt\d+\.txt$/.test(n));
  assert.equal(logs.length, 1, `the OOM attempt's log is kept: ${readdirSync(dir).join(', ')}`);
  assert.ok(
    lines.some((l) => new RegExp(`${p.jobName} ran out of memory .*retry 1 of 2 at a lower fidelity: batch 8 → 4`).test(l)),
    lines.join('\n'),
  );
  rmSync(mmar, { recursive: true, force: true });
});
