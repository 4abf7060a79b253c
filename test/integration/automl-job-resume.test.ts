// Job-level resume, end to end: the synthetic example searched by the real `clara-train
// automl` with one real `clara-train train` job and the MLflowHandler sending to a real
// MLflow server. The search AND its job are killed with SIGKILL in the middle of an epoch;
// `automl --resume` continues the job from its last checkpoint (not from epoch 1) and its
// MLflow run goes on: one run, every epoch's metrics once, no gap and no duplicate step; the
// job's system metrics (sampled every 0.5 s here) continue their step count after the
// resume: steps 0..n-1 once each, as many as the job's system_metrics.jsonl holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { readSystemSamples } from '../../src/jobs/system-metrics.js';
import { shrinkSyntheticSearch } from '../helpers/synthetic-search.js';
import { api, MlflowTestServer, skipUnlessMlflow } from '../helpers/mlflow-server.js';
import { automlEnv, childrenOf, spawnCli } from '../helpers/spawn-cli.js';

const EPOCHS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;

function lastEpoch(job: string): number {
  try {
    return readJson(join(job, 'models', 'last', 'model.json')).clara.state.epoch as number;
  } catch {
    return 0;
  }
}

/** A process's command line ('' once it is gone). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

const skip = skipUnlessMlflow();

test('a search and its job killed mid-epoch: --resume continues the job from its checkpoint, its MLflow run goes on', { skip, timeout: 300_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'clara-jobresume-'));
  const server = new MlflowTestServer(join(tmp, 'mlflow'));
  t.after(async () => {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  });
  const env = { ...automlEnv(), CLARA_SYSTEM_METRICS_INTERVAL_S: '0.5' };
  const mmar = join(tmp, 'mmar');
  const init = await spawnCli(['init', '--example', 'synthetic', mmar, '--train-cases', '8', '--val-cases', '1', '--size', '32'], tmp, env).done;
  assert.equal(init.code, 0, init.err);
  shrinkSyntheticSearch(mmar, { epochs: EPOCHS, rounds: 1, seed: 3 });
  // epochs long enough (a few seconds) to be caught in the middle: 8 cases × 4 crops of 24³
  const tf = join(mmar, 'config', 'config_train.json');
  const tc = readJson(tf);
  Object.assign(tc.train.pre_transforms.find((x: { name: string }) => x.name === 'RandCropByPosNegLabeld').args, {
    spatial_size: [24, 24, 24],
    num_samples: 4,
  });
  writeFileSync(tf, JSON.stringify(tc, null, 2));
  await server.start();
  const af = join(mmar, 'config', 'config_automl.json');
  const a = readJson(af);
  a.controller.args.max_jobs_per_round = 1;
  a.handlers.find((h: { name: string }) => h.name === 'MLflowHandler').args = { tracking_uri: server.uri, experiment_name: 'jobresume' };
  writeFileSync(af, JSON.stringify(a, null, 2));

  const args = ['automl', '-m', mmar, '--set', 'run_id=jr', 'workers=cpu'];
  const runRoot = join(mmar, 'automl', 'jr');
  const first = spawnCli(args, tmp, env);
  let exited = false;
  void first.done.then(() => {
    exited = true;
  });
  // Wait for the job to have checkpointed epoch 2, then kill the search and the job while epoch 3 trains.
  let jobName = '';
  let jobPid: number | undefined;
  for (let i = 0; i < 6000 && !exited; i++) {
    await sleep(20);
    if (!jobName && existsSync(join(runRoot, 'journal.jsonl'))) {
      const s = Journal.read(join(runRoot, 'journal.jsonl')).find((e) => e.type === 'job_start');
      if (s && s.type === 'job_start') jobName = s.job;
    }
    if (!jobName) continue;
    jobPid ??= childrenOf(first.child.pid!).find((p) => cmdline(p).includes(join(runRoot, jobName)));
    if (jobPid !== undefined && lastEpoch(join(runRoot, jobName)) >= 2) break;
  }
  assert.ok(!exited, 'the search ended before it could be killed');
  assert.ok(jobPid !== undefined, 'the job process was found');
  await sleep(100);
  first.child.kill('SIGKILL');
  // the job may be gone already: train asks the kernel to end it with its parent (PR_SET_PDEATHSIG)
  try {
    process.kill(jobPid!, 'SIGKILL');
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ESRCH');
  }
  const r1 = await first.done;
  assert.equal(
    r1.signal,
    'SIGKILL',
    `the search was killed (it exited with ${r1.code} after epoch ${lastEpoch(join(runRoot, jobName))}: ${r1.err.slice(-2000)})`,
  );
  for (let i = 0; i < 100 && cmdline(jobPid!) !== ''; i++) await sleep(50);
  assert.equal(cmdline(jobPid!), '', 'the job process is gone');
  const jobDir = join(runRoot, jobName);
  const k = lastEpoch(jobDir);
  assert.ok(k >= 2 && k < EPOCHS, `killed after epoch ${k} of ${EPOCHS}`);
  const killedStats = readJson<TrainStats>(join(jobDir, 'models', 'train_stats.json'));
  assert.equal(killedStats.epochs_completed, k, 'killed mid-epoch: the stats hold the checkpoint epoch');
  const samplesBefore = readSystemSamples(join(jobDir, 'models')).length;
  assert.ok(samplesBefore > 0, 'the killed attempt sampled system metrics');
  const before = Journal.read(join(runRoot, 'journal.jsonl'));
  assert.ok(!before.some((e) => e.type === 'job_end'), 'the job had not ended');

  const second = await spawnCli([...args, '--resume'], tmp, env).done;
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, new RegExp(`1 continued from their last checkpoint \\(${jobName} at epoch ${k}\\)`));
  const stats = readJson<TrainStats>(join(jobDir, 'models', 'train_stats.json'));
  // continued, not retrained: the epochs before the kill are the killed attempt's (their measured times included)
  assert.deepEqual(stats.epoch_time.slice(0, k), killedStats.epoch_time, 'epochs 1..k were not run again');
  assert.deepEqual(stats.train_loss.slice(0, k), killedStats.train_loss);
  assert.equal(stats.status, 'finished');
  assert.equal(stats.epochs_completed, EPOCHS);
  assert.equal(stats.train_loss.length, EPOCHS);
  const all = Journal.read(join(runRoot, 'journal.jsonl'));
  const starts = all.filter((e) => e.type === 'job_start');
  assert.deepEqual(
    starts.map((e) => e.type === 'job_start' && e.job),
    [jobName, jobName],
    'the same job folder continues',
  );
  const end = all.find((e) => e.type === 'job_end') as { outcome: Outcome } | undefined;
  assert.equal(end?.outcome.status, 'FINISHED');
  assert.equal(end?.outcome.resumedFromEpoch, k);
  assert.deepEqual(
    end?.outcome.history?.map((h) => h.epoch),
    [1, 2, 3, 4],
    'the key-metric history covers every epoch',
  );

  // MLflow: one run for the job, FINISHED, with every epoch once.
  const exp = await api(server.uri, `experiments/get-by-name?experiment_name=jobresume`);
  const runs = (await api(server.uri, 'runs/search', { experiment_ids: [exp.experiment.experiment_id], run_view_type: 'ALL', max_results: 100 })).runs as any[];
  const mine = runs.filter((r) => r.info.run_name === jobName);
  assert.equal(mine.length, 1, `one run for ${jobName}, got ${mine.length}`);
  const run = mine[0];
  assert.equal(run.info.status, 'FINISHED');
  assert.equal(run.info.lifecycle_stage, 'active');
  const tags = Object.fromEntries((run.data.tags ?? []).map((x: { key: string; value: string }) => [x.key, x.value]));
  assert.equal(tags['clara.resumed_from_epoch'], String(k));
  for (const key of ['train_loss', 'lr', 'epoch_time', 'val_mean_dice']) {
    const h = (await api(server.uri, `metrics/get-history?run_id=${run.info.run_id}&metric_key=${key}&max_results=1000`)).metrics as { step: number }[];
    assert.deepEqual(
      h.map((m) => Number(m.step)).sort((x, y) => x - y),
      [1, 2, 3, 4],
      `${key}: every epoch once (no gap, no duplicate step)`,
    );
  }
  // System metrics: the resumed job's samples go on from the killed attempt's count (no restart at 0,
  // no duplicate step), and every sample in the job's file is in the run once (none lost to the kill).
  const samples = readSystemSamples(join(jobDir, 'models'));
  assert.ok(samples.length > samplesBefore, `the resumed job sampled too (${samplesBefore} → ${samples.length})`);
  assert.deepEqual(
    samples.map((x) => x.i),
    samples.map((_, i) => i),
    'sample indices 0..n-1 across the resume',
  );
  const sys = (await api(server.uri, `metrics/get-history?run_id=${run.info.run_id}&metric_key=system/cpu_utilization_percentage&max_results=10000`))
    .metrics as { step: number }[];
  assert.deepEqual(
    sys.map((m) => Number(m.step)).sort((x, y) => x - y),
    samples.map((_, i) => i),
    'system/cpu_utilization_percentage: steps 0..n-1 once each',
  );
  // The epochs before the kill were logged by the first process, the later ones by the resumed one.
  const loss = (await api(server.uri, `metrics/get-history?run_id=${run.info.run_id}&metric_key=train_loss&max_results=1000`)).metrics as {
    step: number;
    value: number;
  }[];
  for (const m of loss) assert.ok(Math.abs(m.value - stats.train_loss[Number(m.step) - 1]) < 1e-6, `train_loss at step ${m.step} is the job's`);
});
