// The engine, scheduler, executor and handlers with real child processes
// (test/automl/fixtures/fake-train.mjs stands in for `clara-train train`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runAutoML } from '../../src/automl/run.js';
import { Journal } from '../../src/automl/journal.js';
import { parseWorkers } from '../../src/automl/scheduler.js';
import { automlConfig, makeMmar, trainConfig } from './fixtures/mmar.js';

const RECORDER = `
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
export class Recorder {
  constructor(args) { this.file = args.file; this.throwIn = args.throw_in; this.tag = args.tag ?? null; }
  rec(ev, ctx) { appendFileSync(this.file, JSON.stringify({ ev, tag: this.tag, job: ctx.JOB_NAME ?? null, score: ctx.SCORE ?? null, status: ctx.JOB_STATUS ?? null }) + '\\n'); if (ev === this.throwIn) throw new Error('recorder fails on purpose'); }
  startup(ctx) { this.rec('startup', ctx); }
  search_space_available(ctx) { this.rec('search_space_available', ctx); }
  recommendations_available(ctx) { this.rec('recommendations_available', ctx); }
  start_job(ctx) { this.rec('start_job', ctx); }
  job_progress(ctx, e) { if (e.type === 'validation_end') this.rec('job_progress', ctx); }
  end_job(ctx) { this.rec('end_job', ctx); }
  round_ended(ctx) { this.rec('round_ended', ctx); }
  shutdown(ctx) { this.rec('shutdown', ctx); }
}
`;

test('workers: Clara spec parsing', () => {
  assert.deepEqual(
    parseWorkers('0:0:1:1').map((w) => w.gpus),
    [['0'], ['0'], ['1'], ['1']],
  );
  assert.deepEqual(
    parseWorkers('0,1:2,3').map((w) => w.gpus),
    [
      ['0', '1'],
      ['2', '3'],
    ],
  );
  assert.deepEqual(
    parseWorkers('cpu:cpu').map((w) => w.gpus),
    [[], []],
  );
  assert.throws(() => parseWorkers('0:x'), /worker 1: 'x' is not a GPU id/);
  assert.throws(() => parseWorkers('0::1'), /worker 1 is empty/);
});

test('a search with two workers runs 8 jobs as real processes, in order, with events, best/ and a journal', async () => {
  const events = '/tmp/clara-automl-events-' + process.pid + '.jsonl';
  rmSync(events, { force: true });
  const mmar = makeMmar({
    automl: automlConfig({
      handlers: [
        { name: 'MMARHandler', args: { num_mmars_to_keep: 5, train_config_file: '{trainconf}', key_mmar_content_only: true } },
        { name: 'StatsHandler' },
        { name: 'MMARStatsHandler' },
        { path: 'recorder.Recorder', args: { file: events } },
      ],
    }),
    files: { 'custom/recorder.js': RECORDER },
  });
  const lines: string[] = [];
  const s = await runAutoML({ mmarRoot: mmar, runId: 'r1', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu', log: (l) => lines.push(l) });
  assert.equal(s.outcomes.length, 8);
  assert.ok(
    s.outcomes.every((o) => o.status === 'FINISHED'),
    JSON.stringify(s.outcomes.map((o) => o.error)),
  );
  assert.equal(s.handlerErrors.length, 0);
  const run = join(mmar, 'automl', 'r1');
  const jobs = readdirSync(run).filter((d) => /^W\d+_\d+_J\d+$/.test(d));
  assert.equal(jobs.length, 5, `num_mmars_to_keep 5 keeps 5 folders: ${jobs}`);
  // The best job is in best/ with its stats and concrete config; no search entries left.
  const best = s.best!;
  const bestStats = JSON.parse(readFileSync(join(run, 'best', 'models', 'train_stats.json'), 'utf8'));
  assert.equal(bestStats.best_key_metric, best.score);
  const cfg = JSON.parse(readFileSync(join(run, best.jobName, 'config', 'config_train.json'), 'utf8'));
  assert.ok(!('search' in cfg) && !JSON.stringify(cfg).includes('"search"'));
  const lrKey = Object.keys(best.recommendation.values).find((k) => k.endsWith(':learning_rate'))!;
  assert.equal(cfg.learning_rate, best.recommendation.values[lrKey]);
  // key_mmar_content_only: config and the data list, not the data.
  assert.ok(existsSync(join(run, best.jobName, 'data', 'dataset.json')));
  assert.ok(!existsSync(join(run, best.jobName, 'data', 'big_volume.nii')));
  assert.ok(!existsSync(join(run, best.jobName, 'automl')));
  assert.match(readFileSync(join(run, best.jobName, 'log.txt'), 'utf8'), /fake-train .* CUDA_VISIBLE_DEVICES=\n/);
  // Events in Clara's order; shutdown last; every job has start → progress → end.
  const ev = readFileSync(events, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    ev.slice(0, 3).map((e) => e.ev),
    ['startup', 'search_space_available', 'recommendations_available'],
  );
  assert.equal(ev.at(-1).ev, 'shutdown');
  assert.equal(ev.filter((e) => e.ev === 'end_job').length, 8);
  for (const j of new Set(ev.filter((e) => e.job).map((e) => e.job))) {
    const seq = ev.filter((e) => e.job === j).map((e) => e.ev);
    assert.equal(seq[0], 'start_job');
    assert.equal(seq.at(-1), 'end_job');
    assert.ok(seq.includes('job_progress'));
  }
  assert.equal(ev.filter((e) => e.ev === 'round_ended').length, 4);
  // Two workers really ran at once: both W0 and W1 names appear.
  const names = s.outcomes.map((o) => o.jobName);
  assert.ok(names.some((n) => n.startsWith('W0_')) && names.some((n) => n.startsWith('W1_')));
  // stats.json and the journal.
  const stats = JSON.parse(readFileSync(join(run, 'stats.json'), 'utf8'));
  assert.equal(stats.jobs, 8);
  assert.equal(stats.best.job, best.jobName);
  const j = Journal.read(join(run, 'journal.jsonl'));
  assert.equal(j.filter((e) => e.type === 'job_end').length, 8);
  assert.equal(j.at(-1)!.type, 'run_end');
  rmSync(mmar, { recursive: true, force: true });
});

test('crashing and hanging jobs score -1000000 and the search goes on; a throwing handler is reported', async () => {
  const train = trainConfig({ fake_crash: false, fake_hang: false });
  (train.search as unknown[]).push({
    domain: 'net',
    type: 'enum',
    args: ['fake_crash', 'fake_hang'],
    targets: [
      [true, false],
      [false, true],
      [false, false],
    ],
  });
  const events = '/tmp/clara-automl-events2-' + process.pid + '.jsonl';
  rmSync(events, { force: true });
  const mmar = makeMmar({
    train,
    automl: automlConfig({
      controller: { name: 'GridController', args: { float_points: 1 } },
      executorArgs: { timeout_s: 4 },
      handlers: [{ path: 'recorder.Recorder', args: { file: events, throw_in: 'end_job' } }, { name: 'MMARStatsHandler' }],
    }),
    files: { 'recorder.js': RECORDER },
  });
  const lines: string[] = [];
  const s = await runAutoML({ mmarRoot: mmar, runId: 'r2', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu:cpu:cpu', log: (l) => lines.push(l) });
  // Grid: lr 1 point × loss 2 (gamma 1 point) × amp 2 × crash/hang/ok 3 = 12 jobs.
  assert.equal(s.outcomes.length, 12);
  const by = (st: string) => s.outcomes.filter((o) => o.status === st);
  assert.equal(by('FAILED').length, 4, JSON.stringify(by('FAILED').map((o) => [o.error, o.recommendation.values])));
  assert.equal(by('TIMEOUT').length, 4, JSON.stringify(s.outcomes.map((o) => [o.status, o.error])));
  assert.equal(by('FINISHED').length, 4, JSON.stringify(s.outcomes.map((o) => [o.status, o.error])));
  for (const o of [...by('FAILED'), ...by('TIMEOUT')]) assert.equal(o.score, -1000000);
  assert.match(by('FAILED')[0].error!, /exited with code 3.*fake crash/);
  assert.equal(s.handlerErrors.filter((e) => e.event === 'end_job').length, 12);
  assert.ok(lines.some((l) => /handler recorder\.Recorder failed in end_job: recorder fails on purpose/.test(l)));
  rmSync(mmar, { recursive: true, force: true });
});

test("MMARHandler's stop_threshold stops the search; msg_destination console still logs to log.txt", async () => {
  const mmar = makeMmar({
    automl: automlConfig({
      executorArgs: { msg_destination: 'console' },
      controller: { name: 'RandomController', args: { max_rounds: 20, max_jobs_per_round: 1, seed: 1 } },
      handlers: [{ name: 'MMARHandler', args: { stop_threshold: 0.0, train_config_file: '{trainconf}' } }],
    }),
  });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'r3', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu', log: () => {} });
  assert.equal(s.outcomes.length, 1);
  assert.match(s.stoppedBy ?? '', /MMARHandler/);
  assert.match(readFileSync(join(mmar, 'automl', 'r3', s.outcomes[0].jobName, 'log.txt'), 'utf8'), /^fake-train /);
  rmSync(mmar, { recursive: true, force: true });
});

test('median pruning stops a job below the median of earlier jobs at the same epoch', async () => {
  const train = trainConfig({ epochs: 6, fake_epoch_ms: 60 });
  const mmar = makeMmar({
    train,
    automl: automlConfig({
      controller: { name: 'RandomController', args: { max_trials: 10, max_jobs_per_round: 1, seed: 3 } },
      pruner: { name: 'MedianPruner', args: { n_startup_jobs: 2, n_warmup_epochs: 1 } },
    }),
  });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'r4', vars: { trainconf: 'trn_automl.json' }, workers: 'cpu', log: () => {} });
  const pruned = s.outcomes.filter((o) => o.status === 'PRUNED');
  assert.ok(pruned.length > 0, 'some job was pruned');
  for (const p of pruned) {
    assert.ok(p.score > -1000000 && p.score < 1, `pruned score = best so far (${p.score})`);
    assert.ok((p.history?.length ?? 99) < 6);
  }
  rmSync(mmar, { recursive: true, force: true });
});

test('an existing run is not overwritten; --resume of a missing run is an error', async () => {
  const mmar = makeMmar({ automl: automlConfig({ controller: { name: 'RandomController', args: { max_trials: 1, seed: 1 } } }) });
  await runAutoML({ mmarRoot: mmar, runId: 'r5', vars: { trainconf: 'trn_automl.json' }, log: () => {} });
  await assert.rejects(runAutoML({ mmarRoot: mmar, runId: 'r5', vars: { trainconf: 'trn_automl.json' }, log: () => {} }), /run 'r5' already exists.*--resume/);
  await assert.rejects(runAutoML({ mmarRoot: mmar, runId: 'nope', resume: true, vars: { trainconf: 'trn_automl.json' }, log: () => {} }), /nothing to resume/);
  // without --set trainconf the MMAR's config_train.json is meant (this MMAR has none): an error naming it
  await assert.rejects(
    runAutoML({ mmarRoot: mmar, runId: 'r6', vars: {}, log: () => {} }),
    /train_config_file: train config 'config_train\.json' not found; looked for .*config\/config_train\.json/,
  );
  rmSync(mmar, { recursive: true, force: true });
});

test('handlers fire in order, shutdown in reverse; each worker sees its GPUs as CUDA_VISIBLE_DEVICES', async () => {
  const events = '/tmp/clara-automl-events3-' + process.pid + '.jsonl';
  rmSync(events, { force: true });
  const mmar = makeMmar({
    automl: automlConfig({
      controller: { name: 'RandomController', args: { max_trials: 4, seed: 2 } },
      handlers: [
        { name: 'MMARHandler', args: { train_config_file: '{trainconf}' } },
        { path: 'recorder.Recorder', args: { file: events, tag: 'A' } },
        { path: 'recorder.Recorder', args: { file: events, tag: 'B' } },
      ],
    }),
    files: { 'recorder.js': RECORDER },
  });
  const s = await runAutoML({ mmarRoot: mmar, runId: 'r7', vars: { trainconf: 'trn_automl.json' }, workers: '0:1,2', log: () => {} });
  assert.equal(s.outcomes.length, 4);
  const ev = readFileSync(events, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    ev.filter((e) => e.ev === 'startup').map((e) => e.tag),
    ['A', 'B'],
  );
  assert.deepEqual(
    ev.filter((e) => e.ev === 'shutdown').map((e) => e.tag),
    ['B', 'A'],
  );
  for (const o of s.outcomes) {
    const log = readFileSync(join(mmar, 'automl', 'r7', o.jobName, 'log.txt'), 'utf8');
    assert.match(log, o.jobName.startsWith('W0_') ? /CUDA_VISIBLE_DEVICES=0\n/ : /CUDA_VISIBLE_DEVICES=1,2\n/);
  }
  rmSync(mmar, { recursive: true, force: true });
});

test('journal: appended lines are read back; a torn last line (crash mid-write) is ignored', () => {
  const file = '/tmp/clara-automl-journal-' + process.pid + '.jsonl';
  rmSync(file, { force: true });
  const j = new Journal(file);
  j.append({ type: 'run_start', time: 1, runId: 'x', seed: 42, controller: 'TPEController', workers: [[]] });
  j.append({ type: 'round_ended', time: 2, round: 1 });
  j.close();
  appendFileSync(file, '{"type":"job_st');
  const entries = Journal.read(file);
  assert.equal(entries.length, 2);
  assert.equal((entries[0] as { seed: number }).seed, 42);
  rmSync(file, { force: true });
});
