// End to end: the synthetic example MMAR searched by the REAL `clara-train automl` with the
// REAL `clara-train train` jobs (real NIfTI, real child processes, no stand-ins), two CPU
// workers, kill -9 of the AutoML process mid-run, `--resume`, and the MLflow file store
// (./mlruns in the cwd) read back with python mlflow.
//
// Jobs are shrunk to stay within a few minutes on a 2-core machine: 4 training + 2
// validation cases of 24³, 16³ crops, 2 epochs with validation after each. The search
// keeps its three things: learning_rate (float, log), DiceLoss vs FocalLoss (enum over
// `apply: {"@disabled": ...}`) and use_amp (enum).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { requirePython } from '../helpers/python.js';
import { shrinkSyntheticSearch } from '../helpers/synthetic-search.js';
import { childrenOf, spawnCli as cli } from '../helpers/spawn-cli.js';

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
// Absolute, so that children started in a job folder (cwd) still find it.
const TSX = import.meta.resolve('tsx');
const RUN_ID = 'e2e';
const MIN_JOBS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function within<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    t = setTimeout(() => {
      onTimeout?.();
      rej(new Error(`${what} did not finish within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;

/** Every job folder stays (their stats are checked), no early stop, 2 epochs. */
function shrink(mmar: string): void {
  shrinkSyntheticSearch(mmar, { epochs: 2, rounds: MIN_JOBS / 2, seed: 0 });
}

/** Outcomes of ended jobs by recommendation id (last one wins), and job_start counts. */
function summarize(entries: JournalEntry[]) {
  const ends = new Map<number, Outcome>();
  const starts = new Map<number, number>();
  for (const e of entries) {
    if (e.type === 'job_start') starts.set(e.recommendationId, (starts.get(e.recommendationId) ?? 0) + 1);
    if (e.type === 'job_end') ends.set(e.outcome.recommendation.id, e.outcome);
  }
  const finished = [...ends.values()].filter((o) => o.status === 'FINISHED');
  const running = entries.filter((e) => e.type === 'job_start').length - entries.filter((e) => e.type === 'job_end').length;
  return { ends, starts, finished, running };
}

const PY_READ = `
import json, sys
from mlflow.tracking import MlflowClient
from mlflow.entities import ViewType
c = MlflowClient(tracking_uri=sys.argv[1])
out = {"experiments": [], "runs": []}
exps = c.search_experiments(view_type=ViewType.ALL)
for e in exps:
    out["experiments"].append({"id": e.experiment_id, "name": e.name})
    for r in c.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=1000):
        hist = {}
        for k in r.data.metrics:
            hist[k] = [[m.step, m.value] for m in c.get_metric_history(r.info.run_id, k)]
        out["runs"].append({"id": r.info.run_id, "experiment": e.name, "name": r.info.run_name, "status": r.info.status,
            "stage": r.info.lifecycle_stage, "params": r.data.params, "tags": r.data.tags, "history": hist})
print(json.dumps(out))
`;

interface PyRun {
  id: string;
  experiment: string;
  name: string;
  status: string;
  stage: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  history: Record<string, [number, number][]>;
}

test('synthetic AutoML with real train jobs: kill -9, --resume, leaderboard, best/, MLflow runs', { timeout: 900_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'clara-e2e-'));
  t.after(() => {
    if (!process.env.KEEP_E2E) rmSync(tmp, { recursive: true, force: true });
    else console.log(`kept ${tmp}`);
  });
  const mmar = join(tmp, 'mmar');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLARA_TRAIN_COMMAND: JSON.stringify([process.execPath, '--import', TSX, ENTRY, 'train', '-m', '{mmar}', '-q']),
  };
  delete env.MLFLOW_TRACKING_URI;
  delete env.MLFLOW_EXPERIMENT_NAME;
  delete env.CLARA_JOB_NAME;

  // 1. The example, shrunk.
  const init = await within(
    cli(['init', '--example', 'synthetic', mmar, '--train-cases', '4', '--val-cases', '2', '--size', '24'], tmp, env).done,
    120_000,
    'init',
  );
  assert.equal(init.code, 0, init.err);
  const ds = readJson(join(mmar, 'data', 'dataset.json'));
  assert.equal(ds.training.length, 4);
  assert.equal(ds.validation.length, 2);
  shrink(mmar);

  // 2. The search, killed with -9 once ≥ 2 jobs have finished and others are training.
  const args = ['automl', '-m', mmar, '--set', `run_id=${RUN_ID}`, 'workers=cpu:cpu'];
  const runRoot = join(mmar, 'automl', RUN_ID);
  const journalFile = join(runRoot, 'journal.jsonl');
  const first = cli(args, tmp, env);
  let exited = false;
  void first.done.then(() => {
    exited = true;
  });
  let entriesBefore: JournalEntry[] = [];
  let before = summarize([]);
  let kids: number[] = [];
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline && !exited) {
    await sleep(250);
    entriesBefore = Journal.read(journalFile);
    before = summarize(entriesBefore);
    if (before.finished.length >= 2 && before.running > 0) {
      kids = childrenOf(first.child.pid!);
      if (kids.length > 0) break;
    }
  }
  if (exited) assert.fail(`automl exited before the kill: ${(await first.done).err.slice(-2000)}`);
  assert.ok(before.finished.length >= 2 && kids.length > 0, 'no point to kill at: fewer than 2 finished jobs or no running train child');
  assert.ok(first.child.kill('SIGKILL'));
  const r1 = await first.done;
  assert.equal(r1.signal, 'SIGKILL', `automl was not killed: code ${r1.code}\n${r1.err.slice(-3000)}`);
  // The journal as the killed process left it (a job may have started or ended between the
  // last look and the kill).
  entriesBefore = Journal.read(journalFile);
  before = summarize(entriesBefore);
  const finishedBefore = before.finished.map((o) => ({ id: o.recommendation.id, name: o.jobName, score: o.score }));
  const mtimes = new Map(finishedBefore.map((f) => [f.name, statSync(join(runRoot, f.name, 'models', 'train_stats.json')).mtimeMs]));
  const startsBefore = new Map(before.starts);
  // The train children notice the IPC disconnect and exit within a few seconds.
  const t0 = Date.now();
  while (kids.some(alive) && Date.now() - t0 < 10_000) await sleep(100);
  assert.deepEqual(kids.filter(alive), [], `train children still running 10 s after the kill -9 of their parent: ${kids.filter(alive)}`);

  // 3. --resume finishes the search.
  const second = cli([...args, '--resume'], tmp, env);
  const r2 = await within(second.done, 600_000, 'automl --resume', () => second.child.kill('SIGKILL'));
  assert.equal(r2.code, 0, `resume failed:\n${r2.err.slice(-3000)}`);
  const entries = Journal.read(journalFile);
  const after = summarize(entries);

  // Finished jobs were not rerun: no second job_start, train_stats.json untouched.
  for (const f of finishedBefore) {
    assert.equal(after.starts.get(f.id), 1, `finished job ${f.name} was started again`);
    assert.equal(statSync(join(runRoot, f.name, 'models', 'train_stats.json')).mtimeMs, mtimes.get(f.name), `${f.name}/models/train_stats.json was rewritten`);
  }
  // The interrupted ones were rerun to the end.
  const interrupted = [...startsBefore.keys()].filter((id) => !finishedBefore.some((f) => f.id === id));
  const interruptedNames = entriesBefore
    .filter((e) => e.type === 'job_start' && interrupted.includes(e.recommendationId))
    .map((e) => (e as { job: string }).job);
  assert.ok(interrupted.length > 0);
  for (const id of interrupted) {
    assert.equal(after.starts.get(id), (startsBefore.get(id) ?? 0) + 1, `interrupted job ${id} was not started exactly once more`);
    assert.equal(after.ends.get(id)?.status, 'FINISHED', `interrupted job ${id} did not finish on resume`);
  }
  assert.ok(after.finished.length >= MIN_JOBS, `only ${after.finished.length} finished jobs`);
  assert.equal(
    after.finished.length,
    after.ends.size,
    `failed jobs: ${[...after.ends.values()]
      .filter((o) => o.status !== 'FINISHED')
      .map((o) => `${o.jobName}: ${o.error}`)
      .join('; ')}`,
  );

  // Every job's score is its train_stats.json best_key_metric; the values were searched.
  const lrs = new Set<number>(),
    losses = new Set<string>(),
    amps = new Set<string>();
  for (const o of after.finished) {
    const stats = readJson<TrainStats>(join(runRoot, o.jobName, 'models', 'train_stats.json'));
    assert.equal(o.score, stats.best_key_metric, `${o.jobName}: score ${o.score} vs best_key_metric ${stats.best_key_metric}`);
    assert.equal(stats.epochs_completed, 2);
    const cfg = readJson(join(runRoot, o.jobName, 'config', 'config_train.json'));
    assert.equal(cfg.search, undefined, `${o.jobName}: the concrete config still has search entries`);
    lrs.add(cfg.learning_rate);
    losses.add(`${cfg.disableDiceLoss}/${cfg.disableFocalLoss}`);
    amps.add(String(cfg.use_amp));
    assert.ok(cfg.learning_rate >= 3e-4 && cfg.learning_rate <= 1e-2);
    // The job did not track itself (no ./mlruns or tracking journal in its folder).
    assert.ok(!existsSync(join(runRoot, o.jobName, 'mlruns')) && !existsSync(join(runRoot, o.jobName, 'tracking.jsonl')), `${o.jobName} logged its own run`);
  }
  assert.equal(lrs.size, after.finished.length, 'learning rates were not searched');
  assert.ok(losses.size === 2 && amps.size === 2, `loss choices ${[...losses]}, use_amp choices ${[...amps]}`);

  // best/ is a complete job MMAR of the best job; the leaderboard is printed.
  const best = after.finished.reduce((b, o) => (o.score > b.score ? o : b));
  const bestDir = join(runRoot, 'best');
  for (const f of ['config/config_train.json', 'models/best/model.json', 'models/best/weights.bin', 'models/train_stats.json', 'log.txt']) {
    assert.ok(existsSync(join(bestDir, f)), `best/${f} is missing`);
  }
  assert.equal(readJson<TrainStats>(join(bestDir, 'models', 'train_stats.json')).best_key_metric, best.score);
  assert.deepEqual(readJson(join(bestDir, 'config', 'config_train.json')), readJson(join(runRoot, best.jobName, 'config', 'config_train.json')));
  assert.match(r2.out, /final leaderboard/);
  for (const o of after.finished) assert.match(r2.out, new RegExp(`\\b${o.jobName}\\b\\s+FINISHED\\s+${o.score.toFixed(4)}`));
  assert.match(r2.out, new RegExp(`best ${best.jobName} score ${best.score}`));

  // 4. Tracking: ./mlruns in the cwd, read back with python mlflow.
  const skip = requirePython('mlflow');
  if (skip) {
    t.diagnostic(`MLflow read-back skipped: ${skip}`);
    return;
  }
  const mlruns = join(tmp, 'mlruns');
  assert.ok(existsSync(mlruns), 'no ./mlruns in the cwd of clara-train automl');
  const py = spawnSync('python3', ['-c', PY_READ, `file:${mlruns}`], {
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true' },
    timeout: 180_000,
  });
  assert.equal(py.status, 0, py.stderr);
  const got = JSON.parse(py.stdout.trim().split('\n').pop()!) as { runs: PyRun[] };
  const active = got.runs.filter((r) => r.stage === 'active');
  const tops = active.filter((r) => !r.tags['mlflow.parentRunId']);
  assert.deepEqual(
    tops.map((r) => r.name),
    [`automl_${RUN_ID}`],
    'exactly one top-level run: the AutoML parent (no job tracked itself)',
  );
  const parent = tops[0];
  assert.equal(parent.experiment, 'clara-train-synthetic');
  assert.equal(parent.status, 'FINISHED');
  assert.equal(parent.history.best_score?.at(-1)?.[1], best.score, 'parent best_score');
  // The leaderboard artifact counts the jobs finished before the kill too.
  const board = readJson<{ job: string; score: number }[]>(join(runRoot, 'leaderboard.json'));
  assert.deepEqual(board.map((b) => b.job).sort(), after.finished.map((o) => o.jobName).sort());
  const children = active.filter((r) => r.tags['mlflow.parentRunId'] === parent.id);
  assert.equal(children.length, active.length - 1, 'every other run is a child of the parent');
  const byName = new Map<string, PyRun[]>();
  for (const c of children) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  assert.deepEqual([...byName.keys()].sort(), after.finished.map((o) => o.jobName).sort(), 'one child run per job');
  for (const o of after.finished) {
    const runs = byName.get(o.jobName)!;
    assert.equal(runs.length, 1, `${o.jobName} has ${runs.length} child runs (duplicated by the resume)`);
    const r = runs[0];
    assert.equal(r.status, 'FINISHED');
    const cfg = readJson(join(runRoot, o.jobName, 'config', 'config_train.json'));
    assert.equal(Number(r.params.learning_rate), cfg.learning_rate, `${o.jobName} learning_rate param`);
    assert.equal(r.params.use_amp, String(cfg.use_amp));
    assert.deepEqual(
      r.history.val_mean_dice.map(([s]) => s),
      [1, 2],
      `${o.jobName} val_mean_dice history`,
    );
    assert.deepEqual(
      r.history.train_loss.map(([s]) => s),
      [1, 2],
      `${o.jobName} train_loss history`,
    );
    const stats = readJson<TrainStats>(join(runRoot, o.jobName, 'models', 'train_stats.json'));
    assert.deepEqual(
      r.history.val_mean_dice.map(([, v]) => v),
      stats.val_metrics.map((v) => v.metrics.val_mean_dice),
    );
    assert.deepEqual(
      r.history.score.map(([, v]) => v),
      [o.score],
    );
  }
  // The attempts the kill interrupted are kept out of sight: KILLED, in the deleted stage.
  const attempts = got.runs.filter((r) => r.stage === 'deleted');
  assert.deepEqual(
    attempts.map((r) => `${r.name} ${r.status} ${r.tags['mlflow.parentRunId'] === parent.id}`).sort(),
    interruptedNames.map((n) => `${n} KILLED true`).sort(),
  );
});
