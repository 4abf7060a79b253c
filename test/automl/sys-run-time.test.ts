// max_sys_run_time across --resume (src/automl/sys-run-time.ts): the spent wall time is
// summed over a journal's sessions, journalled as `time_spent`, and a resumed search
// (real child jobs: the fake train) gets only what is left: one whose budget is spent
// stops at once, a larger --set max_sys_run_time gives it the difference, not a fresh budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { Journal, journalState, type JournalEntry } from '../../src/automl/journal.js';
import { spentSysRunTimeS } from '../../src/automl/sys-run-time.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

test('spent time: each session from its run_start to its last entry (a killed session counts up to its last entry)', () => {
  const e = (type: string, time: number) => ({ type, time }) as unknown as JournalEntry;
  assert.equal(spentSysRunTimeS([]), 0);
  assert.equal(spentSysRunTimeS([e('run_start', 1000), e('job_start', 2000), e('time_spent', 4500)]), 3.5);
  // a second session after a pause: the pause does not count
  const two = [e('run_start', 1000), e('time_spent', 3000), e('run_end', 3000), e('run_start', 100_000), e('job_start', 100_500), e('run_end', 101_000)];
  assert.equal(spentSysRunTimeS(two), 3);
  assert.equal(journalState(two).sysRunTimeS, 3);
});

test('a search stopped by max_sys_run_time, resumed: stops at once; with a larger budget it gets only the rest', { timeout: 120_000 }, async () => {
  const mmar = makeMmar({
    train: trainConfig({ epochs: 40, fake_epoch_ms: 300 }),
    automl: { ...automlConfig({ controller: { name: 'RandomController', args: { max_trials: 20, max_jobs_per_round: 2, seed: 2 } } }), max_sys_run_time: 2 },
  });
  const jf = join(mmar, 'automl', 'sr', 'journal.jsonl');
  const base = { mmarRoot: mmar, runId: 'sr', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu' };
  const s1 = await runAutoML({ ...base, log: () => {} });
  assert.match(s1.stoppedBy ?? '', /^max_sys_run_time 2s/);
  const after1 = Journal.read(jf);
  const spent1 = spentSysRunTimeS(after1);
  assert.ok(spent1 >= 2 && spent1 < 10, `the first session spent ${spent1}s`);
  const ts = after1.filter((x) => x.type === 'time_spent') as { sysRunTimeS: number }[];
  assert.ok(ts.length >= 2, 'time_spent is journalled while the search runs and at its end');
  assert.ok(Math.abs(ts.at(-1)!.sysRunTimeS - spent1) < 0.5, `the last time_spent (${ts.at(-1)!.sysRunTimeS}) is the spent time (${spent1})`);

  // Resumed with the same budget: it is spent, nothing starts.
  const lines: string[] = [];
  const s2 = await runAutoML({ ...base, resume: true, log: (l) => lines.push(l) });
  assert.match(s2.stoppedBy ?? '', /^max_sys_run_time 2s/);
  assert.ok(
    lines.some((l) => /max_sys_run_time 2s was spent by the earlier sessions of this search \(\d+\.\ds\): nothing more runs/.test(l)),
    lines.join('\n'),
  );
  const after2 = Journal.read(jf);
  const session2 = after2.slice(after1.length);
  assert.equal(session2.filter((x) => x.type === 'job_start').length, 0, 'no job started');
  assert.equal(session2.at(-1)?.type, 'run_end');

  // Resumed with a budget of 10 s: it runs for what is left (10 - spent), not 10 s more.
  const spent2 = spentSysRunTimeS(after2);
  const left = 10 - spent2;
  assert.ok(left > 1, `${left}s left`);
  let stopAt = 0;
  const s3 = await runAutoML({
    ...base,
    vars: { ...base.vars, max_sys_run_time: '10' },
    resume: true,
    log: (l) => {
      if (/max_sys_run_time 10s is spent/.test(l)) stopAt = Date.now();
    },
  });
  assert.match(s3.stoppedBy ?? '', /^max_sys_run_time 10s/);
  const session3 = Journal.read(jf).slice(after2.length);
  const start3 = session3.find((x) => x.type === 'run_start')!.time;
  assert.ok(
    session3.some((x) => x.type === 'job_start'),
    'jobs ran again',
  );
  assert.ok(stopAt > 0, 'stopped by the budget');
  const ran = (stopAt - start3) / 1000;
  // (the clock starts once the controller is rebuilt, a moment after run_start: a busy machine may add a second or so)
  assert.ok(ran >= left - 0.2 && ran < left + 1.9, `stopped after ${ran.toFixed(2)}s, ${left.toFixed(2)}s were left (a fresh budget would be 10s)`);
});
