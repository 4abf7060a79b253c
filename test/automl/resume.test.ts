// kill -9 of a real `clara-train automl` child mid-run, then --resume: finished jobs are not
// rerun, the ones that were running are, and the controller state is rebuilt from the
// journal (the same recommendations as an uninterrupted run would give).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import { automlConfig, CLI, makeMmar, trainConfig } from './fixtures/mmar.js';

function cli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>((res) => child.on('exit', (code) => res({ code, out, err })));
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('resume after kill -9 reruns only the interrupted jobs and rebuilds the controller', async () => {
  const mmar = makeMmar({
    train: trainConfig({ epochs: 3, fake_epoch_ms: 300 }),
    automl: automlConfig({ controller: { name: 'TPEController', args: { max_trials: 8, max_jobs_per_round: 2, n_startup_trials: 3 } } }),
  });
  const args = ['automl', '-m', mmar, '--set', 'run_id=rk', 'trainconf=trn_automl.json', 'workers=cpu:cpu', '--seed', '5'];
  const journalFile = join(mmar, 'automl', 'rk', 'journal.jsonl');
  const first = cli(args);
  let before: JournalEntry[] = [];
  for (let t = 0; t < 600; t++) {
    await sleep(100);
    before = Journal.read(journalFile);
    const ends = before.filter((e) => e.type === 'job_end').length;
    const starts = before.filter((e) => e.type === 'job_start').length;
    if (ends >= 3 && starts > ends) break;
  }
  first.child.kill('SIGKILL');
  const r1 = await first.done;
  assert.equal(r1.code, null, 'killed');
  before = Journal.read(journalFile);
  const endedBefore = new Set(
    before.filter((e) => e.type === 'job_end').map((e) => (e as { outcome: { recommendation: { id: number } } }).outcome.recommendation.id),
  );
  const startedBefore = before.filter((e) => e.type === 'job_start').map((e) => (e as { recommendationId: number }).recommendationId);
  const interrupted = startedBefore.filter((id) => !endedBefore.has(id));
  assert.ok(endedBefore.size >= 3 && interrupted.length >= 1, `ended ${[...endedBefore]} interrupted ${interrupted}`);
  assert.ok(!before.some((e) => e.type === 'run_end'));

  const second = cli([...args.filter((a) => a !== '--seed' && a !== '5'), '--resume']);
  const r2 = await second.done;
  assert.equal(r2.code, 0, r2.err);
  assert.match(r2.err, new RegExp(`resuming rk: ${endedBefore.size} finished job\\(s\\) kept, ${interrupted.length} interrupted job\\(s\\) rerun`));
  assert.doesNotMatch(r2.err, /other values/);
  assert.match(r2.out, /final leaderboard \(8 jobs\)/);

  const all = Journal.read(journalFile);
  const after = all.slice(before.length);
  const startsAfter = after.filter((e) => e.type === 'job_start').map((e) => (e as { recommendationId: number }).recommendationId);
  for (const id of endedBefore) assert.ok(!startsAfter.includes(id), `finished job ${id} was rerun`);
  for (const id of interrupted) assert.ok(startsAfter.includes(id), `interrupted job ${id} was not rerun`);
  const finished = all
    .filter((e) => e.type === 'job_end' && (e as { outcome: { status: string } }).outcome.status !== 'KILLED')
    .map((e) => (e as { outcome: { recommendation: { id: number } } }).outcome.recommendation.id)
    .sort((a, b) => a - b);
  assert.deepEqual(finished, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(all.at(-1)!.type, 'run_end');
  // The journalled recommendations agree wherever an id appears twice.
  const seen = new Map<number, string>();
  for (const e of all)
    if (e.type === 'recommendations')
      for (const r of e.recommendations) {
        const v = JSON.stringify(r.values);
        if (seen.has(r.id)) assert.equal(seen.get(r.id), v);
        seen.set(r.id, v);
      }
  assert.ok(existsSync(join(mmar, 'automl', 'rk', 'best', 'models', 'train_stats.json')));
  rmSync(mmar, { recursive: true, force: true });
});

test('Ctrl-C stops the search (running jobs KILLED, journal closed); --resume reruns the killed jobs', async () => {
  const mmar = makeMmar({
    train: trainConfig({ epochs: 3, fake_epoch_ms: 300 }),
    automl: automlConfig({ controller: { name: 'RandomController', args: { max_trials: 6, max_jobs_per_round: 2 } } }),
  });
  const args = ['automl', '-m', mmar, '--run-id', 'ri', '--workers', 'cpu:cpu', '--set', 'trainconf=trn_automl.json'];
  const journalFile = join(mmar, 'automl', 'ri', 'journal.jsonl');
  const first = cli(args);
  for (let t = 0; t < 600; t++) {
    await sleep(100);
    const j = Journal.read(journalFile);
    if (j.filter((e) => e.type === 'job_end').length >= 1 && j.filter((e) => e.type === 'job_start').length >= 3) break;
  }
  first.child.kill('SIGINT');
  const r1 = await first.done;
  assert.match(r1.err, /SIGINT: stopping/);
  const j1 = Journal.read(journalFile);
  assert.equal(j1.at(-1)!.type, 'run_end');
  assert.match((j1.at(-1) as { reason: string }).reason, /SIGINT/);
  const killed = j1.filter((e) => e.type === 'job_end' && (e as { outcome: { status: string } }).outcome.status === 'KILLED');
  assert.ok(killed.length >= 1, 'a running job was killed');
  const r2 = await cli([...args, '--resume']).done;
  assert.equal(r2.code, 0, r2.err);
  const all = Journal.read(journalFile);
  const finished = all
    .filter((e) => e.type === 'job_end' && (e as { outcome: { status: string } }).outcome.status === 'FINISHED')
    .map((e) => (e as { outcome: { recommendation: { id: number } } }).outcome.recommendation.id)
    .sort((a, b) => a - b);
  assert.deepEqual(finished, [0, 1, 2, 3, 4, 5]);
  rmSync(mmar, { recursive: true, force: true });
});
