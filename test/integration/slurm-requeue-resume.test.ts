// A requeued Slurm job continues from its checkpoint, against a REAL one-node Slurm and a
// real `clara-train train` job (the synthetic example): `scontrol requeue` while the job
// trains (after its epoch-2 checkpoint) kills it; when Slurm starts it again (same id) its
// batch script runs train with --resume-if-checkpoint, so it goes on from the checkpoint
// epoch instead of epoch 1. The epochs before the requeue are not trained again, the
// outcome says where it continued from, and its MLflow run (the mlruns folder) has every
// epoch once. The same holds for a job that a stop cancelled: --resume submits it again in
// its folder and it continues from its checkpoint, in its reopened MLflow run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { slurmSuite } from '../helpers/slurm-suite.js';

const { skip, cluster, cli } = slurmSuite({ gpus: 1, cpus: 2 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readJson = <T = any>(f: string): T => JSON.parse(readFileSync(f, 'utf8')) as T;
const EPOCHS = 5;

function lastEpoch(job: string): number {
  try {
    return readJson(join(job, 'models', 'last', 'model.json')).clara.state.epoch as number;
  } catch {
    return 0;
  }
}

/** The synthetic example as a one-job Slurm search (real `clara-train train`), in a temp folder. */
async function slurmSearch(runId: string): Promise<{ tmp: string; mmar: string; run: string; jf: string; args: string[] }> {
  const tmp = mkdtempSync(join(tmpdir(), 'clara-slurm-requeue-'));
  const mmar = join(tmp, 'mmar');
  const init = await cli(['init', '--example', 'synthetic', mmar, '--train-cases', '4', '--val-cases', '1', '--size', '24'], tmp).done;
  assert.equal(init.code, 0, init.err);
  const tf = join(mmar, 'config', 'config_train.json');
  const t = readJson(tf);
  t.epochs = EPOCHS;
  t.num_interval_per_valid = 1;
  // epochs of a few seconds: long enough to requeue the job in the middle of one
  Object.assign(t.train.pre_transforms.find((x: { name: string }) => x.name === 'RandCropByPosNegLabeld').args, { spatial_size: [16, 16, 16], num_samples: 4 });
  t.validate.inferer.args.roi_size = [16, 16, 16];
  writeFileSync(tf, JSON.stringify(t, null, 2));
  const af = join(mmar, 'config', 'config_automl.json');
  const a = readJson(af);
  a.controller = { name: 'RandomController', args: { max_trials: 1, max_jobs_per_round: 1, seed: 5 } };
  a.executor = { name: 'SlurmExecutor', args: { cpus_per_task: 1, poll_s: 0.3 } };
  writeFileSync(af, JSON.stringify(a, null, 2));
  const run = join(mmar, 'automl', runId);
  return { tmp, mmar, run, jf: join(run, 'journal.jsonl'), args: ['automl', '-m', mmar, '--set', `run_id=${runId}`, 'workers=slurm:1'] };
}

/** Starts the search and waits until its Slurm job has written its epoch-2 checkpoint: the job's Slurm id and name. */
async function searchUntilCheckpointed(runId: string) {
  const search = await slurmSearch(runId);
  const p = cli(search.args, search.tmp);
  let exited = false;
  void p.done.then(() => {
    exited = true;
  });
  let got: { id: string; job: string } | undefined;
  for (let i = 0; i < 3000 && !exited && !got; i++) {
    await sleep(100);
    const s = existsSync(search.jf)
      ? Journal.read(search.jf).find((e): e is Extract<JournalEntry, { type: 'job_submitted' }> => e.type === 'job_submitted')
      : undefined;
    if (s && lastEpoch(join(search.run, s.job)) >= 2) got = { id: s.schedulerId, job: s.job };
  }
  assert.ok(got, `the job checkpointed epoch 2 before the search ended: ${exited ? (await p.done).err.slice(-2000) : ''}`);
  return { ...search, p, got };
}

/** The MLflow runs (the default mlruns store in `tmp`) named `name` that are not deleted, and their metrics folder. */
function mlrunsOf(tmp: string, name: string): string[] {
  const store = join(tmp, 'mlruns');
  const exp = readdirSync(store).find((d) => d !== '0' && /^\d+$/.test(d))!;
  return readdirSync(join(store, exp))
    .map((d) => join(store, exp, d))
    .filter((d) => {
      try {
        return readFileSync(join(d, 'tags', 'mlflow.runName'), 'utf8') === name && !/lifecycle_stage: deleted/.test(readFileSync(join(d, 'meta.yaml'), 'utf8'));
      } catch {
        return false;
      }
    });
}

/** A metric's steps in an mlruns run folder, sorted. */
const stepsOf = (runDir: string, key: string) =>
  readFileSync(join(runDir, 'metrics', key), 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(l.split(' ')[2]))
    .sort((x, y) => x - y);

const allEpochs = Array.from({ length: EPOCHS }, (_, i) => i + 1);

test(
  'scontrol requeue of a training Slurm job: it continues from its checkpoint epoch (same Slurm id, same MLflow run)',
  { skip, timeout: 420_000 },
  async () => {
    const { tmp, run, jf, p, got } = await searchUntilCheckpointed('rq');
    const { id, job } = got;
    const rq = cluster().cmd('scontrol', ['requeue', id]);
    assert.equal(rq.code, 0, rq.err);
    const squeue = () => cluster().cmd('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T']).out.trim();
    for (let i = 0; i < 200 && squeue() !== 'PENDING'; i++) await sleep(100);
    assert.equal(squeue(), 'PENDING', 'Slurm requeued the job');
    // Slurm holds a requeued job (BeginTime) until the node has cleaned up the killed run; once its slurmstepd is gone, start it now.
    for (
      let i = 0;
      i < 300 &&
      cluster()
        .cmd('pgrep', ['-f', `slurmstepd: \\[${id}\\.`])
        .out.trim();
      i++
    )
      await sleep(100);
    const jobDir = join(run, job);
    const k = lastEpoch(jobDir);
    assert.ok(k >= 2 && k < EPOCHS, `requeued after epoch ${k} of ${EPOCHS}`);
    const killed = readJson<TrainStats>(join(jobDir, 'models', 'train_stats.json'));
    assert.equal(killed.status, 'running', 'requeued before it finished');
    await sleep(1000);
    cluster().cmd('scontrol', ['update', `jobid=${id}`, 'StartTime=now']);
    const r = await p.done;
    assert.equal(r.code, 0, r.err);

    const j = Journal.read(jf);
    assert.deepEqual(
      j.filter((e) => e.type === 'job_submitted').map((e) => (e as { schedulerId: string }).schedulerId),
      [id],
      'not resubmitted: Slurm requeued it',
    );
    const end = j.find((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end')!;
    assert.equal(end.outcome.status, 'FINISHED', end.outcome.error);
    assert.equal(end.outcome.resumedFromEpoch, k, 'the outcome says where it continued from');
    assert.deepEqual(
      end.outcome.history?.map((h) => h.epoch),
      allEpochs,
      'the key-metric history covers every epoch once',
    );
    // continued, not retrained: epochs 1..k are the first run's (their measured times included)
    const stats = readJson<TrainStats>(join(jobDir, 'models', 'train_stats.json'));
    assert.equal(stats.status, 'finished');
    assert.equal(stats.train_loss.length, EPOCHS);
    assert.deepEqual(stats.epoch_time.slice(0, k), killed.epoch_time.slice(0, k), 'epochs 1..k were not run again');
    assert.match(readFileSync(join(jobDir, 'slurm_job.sh'), 'utf8'), / --resume-if-checkpoint\n/);
    assert.match(readFileSync(join(jobDir, 'log.txt'), 'utf8'), /slurm job \d+ \(restart 1\)/);
    const starts = readFileSync(join(jobDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'train_start');
    assert.deepEqual(
      starts.map((e) => e.info.start_epoch),
      [0, k],
      'the requeued run started at the checkpoint epoch',
    );
    // MLflow (the default mlruns store in the working folder): the job's one run has every epoch once.
    const runs = mlrunsOf(tmp, job);
    assert.equal(runs.length, 1, 'one MLflow run for the job');
    for (const key of ['train_loss', 'val_mean_dice']) assert.deepEqual(stepsOf(runs[0], key), allEpochs, `${key}: every epoch once`);
    rmSync(tmp, { recursive: true, force: true });
  },
);

test(
  'a Slurm search stopped (SIGINT: its job cancelled) and resumed: the job is submitted again in its folder and continues from its checkpoint',
  { skip, timeout: 420_000 },
  async () => {
    const { tmp, run, jf, args, p, got } = await searchUntilCheckpointed('st');
    p.child.kill('SIGINT');
    const r1 = await p.done;
    assert.equal(r1.signal, null, 'the search ended on its own after the stop');
    assert.match(r1.err, /SIGINT: stopping/);
    const jobDir = join(run, got.job);
    const k = lastEpoch(jobDir);
    assert.ok(k >= 2 && k < EPOCHS, `stopped after epoch ${k} of ${EPOCHS}`);
    const before = readJson<TrainStats>(join(jobDir, 'models', 'train_stats.json'));
    const killed = Journal.read(jf).find((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end');
    assert.equal(killed?.outcome.status, 'KILLED', 'the stop cancelled the job');

    const r2 = await cli([...args, '--resume'], tmp).done;
    assert.equal(r2.code, 0, r2.err);
    assert.match(r2.err, new RegExp(`1 continued from their last checkpoint \\(${got.job} at epoch ${k}\\)`));
    const j = Journal.read(jf);
    const ids = j.filter((e): e is Extract<JournalEntry, { type: 'job_submitted' }> => e.type === 'job_submitted').map((e) => e.schedulerId);
    assert.equal(ids.length, 2, 'submitted again after the resume');
    assert.notEqual(ids[1], ids[0]);
    const end = j.filter((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end').at(-1)!;
    assert.equal(end.outcome.status, 'FINISHED', end.outcome.error);
    assert.equal(end.outcome.resumedFromEpoch, k);
    assert.deepEqual(
      end.outcome.history?.map((h) => h.epoch),
      allEpochs,
    );
    const stats = readJson<TrainStats>(join(jobDir, 'models', 'train_stats.json'));
    assert.equal(stats.status, 'finished');
    assert.deepEqual(stats.epoch_time.slice(0, k), before.epoch_time.slice(0, k), 'epochs 1..k were not run again');
    // the job's MLflow run was reopened, not replaced: one run, every epoch once
    const runs = mlrunsOf(tmp, got.job);
    assert.equal(runs.length, 1, 'one MLflow run for the job');
    assert.equal(readFileSync(join(runs[0], 'tags', 'clara.resumed_from_epoch'), 'utf8'), String(k));
    for (const key of ['train_loss', 'val_mean_dice']) assert.deepEqual(stepsOf(runs[0], key), allEpochs, `${key}: every epoch once`);
    rmSync(tmp, { recursive: true, force: true });
  },
);
