// A real search (the synthetic example, shrunk; real `clara-train train` jobs in child
// processes) steered from another "shell" (separate CLI processes): `automl status`,
// `suspend-worker` / `resume-worker`, `stop --now` (journal consistent), `--resume`, then
// `automl stop` (running jobs finish, no new one starts). The report the search writes
// at its end is opened in headless Chromium: every chart and image renders with data and
// no script error; a screenshot is kept in test-artifacts/. MLflow's mlruns store gets the
// report on the parent run and system metrics on the job runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import type { RunStatus } from '../../src/automl/control.js';
import { checkReport, screenshot } from '../helpers/report-check.js';
import { skipUnlessChromium } from '../helpers/chromium.js';
import { shrinkSyntheticSearch } from '../helpers/synthetic-search.js';

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const RUN_ID = 'ctl';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}
function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv): { child: ReturnType<typeof spawn>; done: Promise<Done> } {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const done = new Promise<Done>((res) => child.on('exit', (code, signal) => res({ code, signal, out, err })));
  return { child, done };
}

const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;

async function until<T>(what: string, ms: number, f: () => T | undefined | false, alive?: () => boolean): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = f();
    if (v) return v;
    if (alive && !alive()) throw new Error(`the search exited while waiting for: ${what}`);
    await sleep(200);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for: ${what}`);
}

function status(runRoot: string): RunStatus | undefined {
  try {
    return readJson<RunStatus>(join(runRoot, 'status.json'));
  } catch {
    return undefined;
  }
}

const starts = (es: JournalEntry[]) => es.filter((e): e is Extract<JournalEntry, { type: 'job_start' }> => e.type === 'job_start');
const ends = (es: JournalEntry[]) => es.filter((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end');

test('status, suspend/resume a worker, stop --now, --resume, stop; the report renders in Chromium', { timeout: 900_000 }, async (t) => {
  const skipChromium = skipUnlessChromium();
  const tmp = mkdtempSync(join(tmpdir(), 'clara-ctl-'));
  t.after(() => {
    if (!process.env.KEEP_E2E) rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  });
  const mmar = join(tmp, 'mmar');
  const cmd = [process.execPath, '--import', TSX, ENTRY];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLARA_TRAIN_COMMAND: JSON.stringify([...cmd, 'train', '-m', '{mmar}', '-q']),
    CLARA_CLI_COMMAND: JSON.stringify(cmd),
    CLARA_SYSTEM_METRICS_INTERVAL_S: '1',
  };
  delete env.MLFLOW_TRACKING_URI;
  delete env.MLFLOW_EXPERIMENT_NAME;
  delete env.CLARA_JOB_NAME;

  const init = await cli(['init', '--example', 'synthetic', mmar, '--train-cases', '4', '--val-cases', '2', '--size', '24'], tmp, env).done;
  assert.equal(init.code, 0, init.err);
  shrinkSyntheticSearch(mmar, { epochs: 8, rounds: 8, seed: 1 });

  const runRoot = join(mmar, 'automl', RUN_ID);
  const journal = () => Journal.read(join(runRoot, 'journal.jsonl'));
  const ctl = async (...args: string[]) => {
    const r = await cli(['automl', ...args, '-m', mmar, '--run-id', RUN_ID], tmp, env).done;
    assert.equal(r.code, 0, `automl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };

  // 1. The search; status from another process while both workers train.
  const first = cli(['automl', '-m', mmar, '--set', `run_id=${RUN_ID}`, 'workers=cpu:cpu'], tmp, env);
  let firstExited = false;
  void first.done.then(() => {
    firstExited = true;
  });
  const aliveFirst = () => !firstExited;
  // The status command's own output: a running job with its epoch of 8 and an ETA (tried again while jobs are between epochs).
  let st = '';
  for (let i = 0; i < 5 && !/W\d_\d+_J\d+\s+\d\s+[1-7]\/8\s+\S+\s+\S+\s+\d+ s/.test(st); i++) {
    await until('two jobs training past epoch 1', 300_000, () => status(runRoot)?.running.filter((r) => r.epoch >= 1 && r.epoch < 7).length === 2, aliveFirst);
    st = await ctl('status');
  }
  assert.match(st, /automl ctl: running/);
  assert.match(st, /W\d_\d+_J\d+\s+\d\s+[1-7]\/8\s+\S+\s+\S+\s+\d+ s/, `no running job with epoch and ETA in:\n${st}`);
  const s0 = status(runRoot)!;
  assert.deepEqual(
    s0.workers.map((w) => w.suspended),
    [false, false],
  );

  // 2. Worker 1 suspended: its job finishes, then it takes no job while worker 0 does.
  const applied = (verb: string) =>
    status(runRoot)!
      .applied.filter((a) => a.command === verb)
      .at(-1)!;
  const sus = await ctl('suspend-worker', '--worker', '1');
  assert.match(sus, /worker 1 suspended/);
  const tSuspend = applied('suspend').time;
  const busy1 = /\((W\d_\d+_J\d+) finishes first\)/.exec(sus)?.[1];
  const idleFrom = busy1 ? (await until(`${busy1} ends`, 300_000, () => ends(journal()).find((e) => e.job === busy1), aliveFirst)).time : tSuspend;
  await until('worker 0 starts a job after worker 1 went idle', 300_000, () => starts(journal()).some((e) => e.worker === 0 && e.time >= idleFrom), aliveFirst);
  assert.ok(!starts(journal()).some((e) => e.worker === 1 && e.time > tSuspend), 'a suspended worker took a job');
  assert.match(await ctl('status'), /1\s+cpu\s+suspended/);
  assert.match(await ctl('resume-worker', '--worker', '1'), /worker 1 resumed/);
  const tResume = applied('resume').time;
  await until('worker 1 takes a job again', 300_000, () => starts(journal()).some((e) => e.worker === 1 && e.time >= tResume), aliveFirst);

  // 3. stop --now: running jobs are ended, the journal is consistent, the process exits.
  await until('a job past epoch 1', 300_000, () => status(runRoot)?.running.some((r) => r.epoch >= 1), aliveFirst);
  assert.match(await ctl('stop', '--now'), /stopping now/);
  const r1 = await first.done;
  assert.equal(r1.code, 0, r1.err.slice(-3000));
  const j1 = journal();
  assert.match((j1.at(-1) as { reason: string }).reason, /stop --now/);
  const killed = ends(j1)
    .filter((e) => e.outcome.status === 'KILLED')
    .map((e) => e.outcome.recommendation.id);
  assert.ok(killed.length >= 1, 'stop --now ended no running job');
  assert.deepEqual(
    starts(j1)
      .map((e) => e.job)
      .sort(),
    ends(j1)
      .map((e) => e.job)
      .sort(),
    'every started job has an end in the journal',
  );
  assert.equal(status(runRoot)!.state, 'ended');
  assert.match((await cli(['automl', 'stop', '-m', mmar, '--run-id', RUN_ID], tmp, env).done).err, /is not running/);

  // 4. --resume reruns the killed jobs; `automl stop` lets them finish and starts nothing new.
  const second = cli(['automl', '-m', mmar, '--set', `run_id=${RUN_ID}`, 'workers=cpu:cpu', '--resume'], tmp, env);
  let secondExited = false;
  void second.done.then(() => {
    secondExited = true;
  });
  const n1 = starts(j1).length;
  await until(
    'the resumed search starts the killed jobs',
    300_000,
    () => starts(journal()).length >= n1 + killed.length && status(runRoot)?.state === 'running',
    () => !secondExited,
  );
  assert.match(await ctl('stop'), /stopping: \d running job\(s\) finish/);
  const tStop = Date.now();
  const r2 = await second.done;
  assert.equal(r2.code, 0, r2.err.slice(-3000));
  const j2 = journal();
  assert.match((j2.at(-1) as { reason: string }).reason, /automl stop\)/);
  const resumedEnds = ends(j2).slice(ends(j1).length);
  for (const id of killed)
    assert.equal(resumedEnds.find((e) => e.outcome.recommendation.id === id)?.outcome.status, 'FINISHED', `killed job ${id} did not finish after --resume`);
  assert.ok(
    resumedEnds.every((e) => e.outcome.status === 'FINISHED'),
    'automl stop killed a job',
  );
  assert.ok(!starts(j2).some((e) => e.time > tStop + 1000), 'a job started after automl stop');

  // 5. The report (written by the search at its end), logged to MLflow's mlruns store.
  const report = join(runRoot, 'report.html');
  assert.ok(existsSync(report), 'the search wrote no report.html');
  const html = readFileSync(report, 'utf8');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'the report fetches something');
  const images = readdirSync(join(runRoot, 'report', 'images'));
  assert.equal(images.length, 6, `2 validation cases × 3 views, got ${images}`);
  const mlruns = join(tmp, 'mlruns');
  const runDirs = readdirSync(mlruns)
    .filter((d) => /^\d+$/.test(d) && d !== '0')
    .flatMap((e) =>
      readdirSync(join(mlruns, e))
        .filter((r) => existsSync(join(mlruns, e, r, 'meta.yaml')))
        .map((r) => join(mlruns, e, r)),
    );
  const parent = runDirs.find((d) => existsSync(join(d, 'artifacts', 'report.html')));
  assert.ok(parent, 'no MLflow run has report.html');
  assert.equal(readdirSync(join(parent, 'artifacts', 'report_images')).length, 6);
  const withSystem = runDirs.filter((d) => existsSync(join(d, 'metrics', 'system', 'cpu_utilization_percentage')));
  assert.ok(withSystem.length >= 2, `system metrics on ${withSystem.length} job run(s)`);
  assert.ok(existsSync(join(withSystem[0], 'metrics', 'system', 'system_memory_usage_megabytes')));

  if (skipChromium) {
    t.diagnostic(`browser check skipped: ${skipChromium}`);
    return;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const page = await checkReport(report, join(tmp, 'checked.html'));
  assert.ok(page.loaded);
  assert.deepEqual(page.errors, [], 'script errors');
  const ids = page.charts.map((c) => c.id);
  for (const id of ['best-over-time', 'best-over-jobs', 'parallel-coordinates', 'importance', 'per-case', 'system-cpu', 'system-rss'])
    assert.ok(ids.includes(id), `chart ${id} is missing (have ${ids})`);
  // A job killed by stop --now and rerun on another worker has a new name: the last attempt is reported.
  const jobs = new Set(new Map(starts(j2).map((e) => [e.recommendationId, e.job])).values());
  for (const j of jobs) for (const k of ['loss', 'val', 'lr']) assert.ok(ids.includes(`${k}-${j}`), `no ${k} curve for ${j}`);
  for (const c of page.charts) {
    assert.ok(c.points > 0 && c.marks > 0 && c.drawn > 0, `chart ${c.id} is empty: ${JSON.stringify(c)}`);
    assert.ok(c.w > 100 && c.h > 50, `chart ${c.id} has no size: ${JSON.stringify(c)}`);
  }
  assert.equal(page.images.length, 6);
  for (const im of page.images) assert.ok(im.complete && im.w >= 160 && im.h >= 160, `image ${im.alt} did not render: ${JSON.stringify(im)}`);
  const shot = join(ARTIFACTS, 'report-screenshot.png');
  await screenshot(report, shot);
  assert.ok(statSync(shot).size > 20_000, 'the screenshot is (nearly) blank');
  t.diagnostic(`screenshot: ${shot}`);
});
