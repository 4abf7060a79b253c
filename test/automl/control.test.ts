// The control channel and status file against the engine with real child processes
// (fake-train.mjs): a suspended worker takes no job until resumed; `stop` lets running
// jobs finish and starts none; `stop_now` ends them through the executor's abort signal
// (KILLED in the journal, rerun by --resume); status.json follows the jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { Journal, journalState, type JournalEntry } from '../../src/automl/journal.js';
import { RunControl, readControl, readStatus, sendControl, CONTROL_FILE } from '../../src/automl/control.js';
import { WorkerPool } from '../../src/automl/scheduler.js';
import { formatStatus } from '../../src/report/status-view.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const starts = (es: JournalEntry[]) => es.filter((e): e is Extract<JournalEntry, { type: 'job_start' }> => e.type === 'job_start');

test('control file: commands are read once, whole lines only; a malformed line is skipped', () => {
  const root = makeMmar();
  const a = sendControl(root, { command: 'suspend', worker: 1 });
  appendFileSync(join(root, CONTROL_FILE), 'not json\n{"id":"x","command":"reboot"}\n');
  const b = sendControl(root, { command: 'stop' });
  appendFileSync(join(root, CONTROL_FILE), '{"id":"torn","comm');
  const r = readControl(join(root, CONTROL_FILE), 0);
  assert.deepEqual(
    r.commands.map((c) => [c.id, c.command, c.worker]),
    [
      [a.id, 'suspend', 1],
      [b.id, 'stop', undefined],
    ],
  );
  assert.deepEqual(readControl(join(root, CONTROL_FILE), r.offset).commands, []);
  appendFileSync(join(root, CONTROL_FILE), 'and":"stop_now"}\n');
  const r2 = readControl(join(root, CONTROL_FILE), r.offset);
  assert.deepEqual(
    r2.commands.map((c) => c.id),
    ['torn'],
  );
  // A command sent after a writer died mid-line is not glued to the torn line.
  appendFileSync(join(root, CONTROL_FILE), '{"id":"dead","comm');
  const c = sendControl(root, { command: 'stop' });
  assert.deepEqual(
    readControl(join(root, CONTROL_FILE), r2.offset).commands.map((x) => x.id),
    [c.id],
  );
});

test('worker pool: a suspended worker is not handed out', () => {
  const p = new WorkerPool([
    { id: 0, gpus: [] },
    { id: 1, gpus: [] },
  ]);
  p.suspended.add(0);
  assert.equal(p.acquire()?.id, 1);
  assert.equal(p.hasFree(), false);
  assert.equal(p.acquire(), undefined);
  p.suspended.delete(0);
  assert.equal(p.acquire()?.id, 0);
});

async function search(mmar: string, runId: string, steer: (root: string, control: RunControl) => Promise<void>, resume = false) {
  const control = new RunControl({ pollMs: 50, minWriteMs: 0, log: () => {} });
  const root = join(mmar, 'automl', runId);
  let steering: Promise<void> = Promise.resolve();
  const run = runAutoML({
    mmarRoot: mmar,
    runId,
    vars: { trainconf: 'trn_automl.json' },
    workers: 'cpu:cpu',
    resume,
    log: () => {},
    onEngine: (e) => {
      control.attach(e);
      steering = steer(root, control);
    },
    extraHandlers: [{ name: 'RunControl', handler: control }],
  });
  const s = await run;
  await steering;
  return { s, entries: Journal.read(join(root, 'journal.jsonl')), root };
}

async function waitFor(what: string, f: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('suspend / resume a worker; stop lets running jobs finish and starts none', { timeout: 120_000 }, async () => {
  const mmar = makeMmar({
    train: trainConfig({ fake_epoch_ms: 150 }),
    automl: automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 6, max_jobs_per_round: 2, seed: 3 } } }),
  });
  let suspendedAt = 0,
    resumedAt = 0,
    stoppedAt = 0;
  const { s, entries, root } = await search(mmar, 'r', async (root) => {
    await waitFor('status.json', () => readStatus(root)?.state === 'running');
    sendControl(root, { command: 'suspend', worker: 1 });
    await waitFor('the suspend', () => (readStatus(root)?.applied.length ?? 0) === 1);
    suspendedAt = readStatus(root)!.applied[0].time;
    assert.equal(readStatus(root)!.workers[1].suspended, true);
    // Worker 0 runs two more jobs alone.
    await waitFor(
      'two jobs on worker 0 after the suspend',
      () => starts(Journal.read(join(root, 'journal.jsonl'))).filter((e) => e.worker === 0 && e.time > suspendedAt).length >= 2,
    );
    const st = readStatus(root)!;
    assert.match(formatStatus(st, true).join('\n'), /1\s+cpu\s+suspended/);
    sendControl(root, { command: 'resume', worker: 1 });
    await waitFor('the resume', () => (readStatus(root)?.applied.length ?? 0) === 2);
    resumedAt = readStatus(root)!.applied[1].time;
    await waitFor('a job on worker 1 after the resume', () =>
      starts(Journal.read(join(root, 'journal.jsonl'))).some((e) => e.worker === 1 && e.time >= resumedAt),
    );
    await waitFor('two running jobs', () => readStatus(root)?.running.length === 2);
    sendControl(root, { command: 'stop' });
    await waitFor('the stop', () => (readStatus(root)?.applied.length ?? 0) === 3);
    stoppedAt = readStatus(root)!.applied[2].time;
    assert.match(readStatus(root)!.applied[2].result, /stopping: 2 running job\(s\) finish/);
  });
  const st = starts(entries);
  // Jobs that started before the suspend took effect may still be on worker 1; none after it until resumed.
  assert.ok(!st.some((e) => e.worker === 1 && e.time > suspendedAt + 5 && e.time < resumedAt), 'a suspended worker took a job');
  assert.ok(!st.some((e) => e.time > stoppedAt + 5), 'a job started after stop');
  assert.ok(
    s.outcomes.every((o) => o.status === 'FINISHED'),
    'stop killed a job',
  );
  assert.ok(s.outcomes.length < 12, 'the search ran to its end');
  assert.match((entries.at(-1) as { reason: string }).reason, /automl stop\)/);
  const status = readStatus(root)!;
  assert.equal(status.state, 'ended');
  assert.equal(status.finished.length, s.outcomes.length);
  assert.equal(status.best?.score, Math.max(...s.outcomes.map((o) => o.score)));
});

test('stop_now ends running jobs (KILLED, journal consistent); --resume reruns them', { timeout: 120_000 }, async () => {
  const mmar = makeMmar({
    train: trainConfig({ fake_epoch_ms: 300, epochs: 20 }),
    automl: automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 2, max_jobs_per_round: 2, seed: 5 } } }),
  });
  const first = await search(mmar, 'n', async (root) => {
    await waitFor('two jobs past epoch 1', () => readStatus(root)?.running.filter((r) => r.epoch >= 1).length === 2);
    const st = readStatus(root)!;
    assert.ok(
      st.running.every((r) => r.epochs === 20 && r.eta_s !== undefined && r.eta_s > 0),
      JSON.stringify(st.running),
    );
    sendControl(root, { command: 'stop_now' });
  });
  assert.deepEqual(
    first.s.outcomes.map((o) => o.status),
    ['KILLED', 'KILLED'],
  );
  const state = journalState(first.entries);
  assert.equal(state.interrupted.length, 2);
  assert.equal(starts(first.entries).length, first.entries.filter((e) => e.type === 'job_end').length);
  assert.match((first.entries.at(-1) as { reason: string }).reason, /stop --now/);
  // Commands from before the restart are not applied again.
  writeFileSync(join(mmar, 'config', 'trn_automl.json'), JSON.stringify(trainConfig({ fake_epoch_ms: 5, epochs: 3 }), null, 2));
  const second = await search(mmar, 'n', async () => {}, true);
  assert.equal(second.s.outcomes.filter((o) => o.status === 'FINISHED').length, 4);
  assert.equal(readStatus(second.root)!.applied.length, 0);
});

test('the CLI process waits while every worker is suspended and goes on when one is resumed', { timeout: 120_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('./fixtures/mmar.js');
  const mmar = makeMmar({
    train: trainConfig({ fake_epoch_ms: 700 }),
    automl: automlConfig({ controller: { name: 'RandomController', args: { max_rounds: 2, max_jobs_per_round: 2, seed: 4 } } }),
  });
  const root = join(mmar, 'automl', 'w');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'automl', '-m', mmar, '--run-id', 'w', '--set', 'trainconf=trn_automl.json', 'workers=cpu:cpu', '--no-report'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  await waitFor('two running jobs', () => readStatus(root)?.running.length === 2 || gone);
  sendControl(root, { command: 'suspend', worker: 0 });
  sendControl(root, { command: 'suspend', worker: 1 });
  await waitFor('both suspensions', () => (readStatus(root)?.applied.length ?? 0) === 2 || gone);
  await waitFor('the first jobs end', () => readStatus(root)?.running.length === 0 || gone);
  const n = starts(Journal.read(join(root, 'journal.jsonl'))).length;
  await sleep(2500);
  assert.equal(gone, false, `the search exited while its workers were suspended: ${err.slice(-1500)}`);
  assert.equal(starts(Journal.read(join(root, 'journal.jsonl'))).length, n, 'a suspended worker took a job');
  sendControl(root, { command: 'resume', worker: 0 });
  assert.equal(await exited, 0, err.slice(-2000));
  const st = starts(Journal.read(join(root, 'journal.jsonl')));
  assert.equal(st.length, 4);
  assert.ok(
    st.slice(n).every((e) => e.worker === 0),
    'only the resumed worker took the remaining jobs',
  );
});
