// A requeued Slurm job continues from its checkpoint, against a REAL one-node Slurm and a
// real `clara-train train` job (the synthetic example): `scontrol requeue` while the job
// trains (after its epoch-2 checkpoint) kills it; when Slurm starts it again (same id) its
// batch script runs train with --resume-if-checkpoint, so it goes on from the checkpoint
// epoch instead of epoch 1. The epochs before the requeue are not trained again, the
// outcome says where it continued from, and its MLflow run (the mlruns folder) has every
// epoch once.
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

test('scontrol requeue of a training Slurm job: it continues from its checkpoint epoch (same Slurm id, same MLflow run)', { skip, timeout: 420_000 }, async () => {
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
  const run = join(mmar, 'automl', 'rq');
  const jf = join(run, 'journal.jsonl');
  const p = cli(['automl', '-m', mmar, '--set', 'run_id=rq', 'workers=slurm:1'], tmp);
  let exited = false;
  void p.done.then(() => {
    exited = true;
  });
  const sub = () => Journal.read(jf).find((e): e is Extract<JournalEntry, { type: 'job_submitted' }> => e.type === 'job_submitted');
  let id = '';
  let job = '';
  for (let i = 0; i < 3000 && !exited; i++) {
    await sleep(100);
    const s = existsSync(jf) ? sub() : undefined;
    if (s && lastEpoch(join(run, s.job)) >= 2) {
      id = s.schedulerId;
      job = s.job;
      break;
    }
  }
  assert.ok(id, `the job checkpointed epoch 2 before the search ended: ${exited ? (await p.done).err.slice(-2000) : ''}`);
  const rq = cluster().cmd('scontrol', ['requeue', id]);
  assert.equal(rq.code, 0, rq.err);
  const squeue = () => cluster().cmd('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T']).out.trim();
  for (let i = 0; i < 200 && squeue() !== 'PENDING'; i++) await sleep(100);
  assert.equal(squeue(), 'PENDING', 'Slurm requeued the job');
  // Slurm holds a requeued job (BeginTime) until the node has cleaned up the killed run; once its slurmstepd is gone, start it now.
  for (let i = 0; i < 300 && cluster().cmd('pgrep', ['-f', `slurmstepd: \\[${id}\\.`]).out.trim(); i++) await sleep(100);
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
    Array.from({ length: EPOCHS }, (_, i) => i + 1),
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
  const store = join(tmp, 'mlruns');
  const exp = readdirSync(store).find((d) => d !== '0' && /^\d+$/.test(d))!;
  const runs = readdirSync(join(store, exp)).filter((d) => {
    try {
      return readFileSync(join(store, exp, d, 'tags', 'mlflow.runName'), 'utf8') === job;
    } catch {
      return false;
    }
  });
  assert.equal(runs.length, 1, 'one MLflow run for the job');
  for (const key of ['train_loss', 'val_mean_dice']) {
    const steps = readFileSync(join(store, exp, runs[0], 'metrics', key), 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[2]))
      .sort((x, y) => x - y);
    assert.deepEqual(
      steps,
      Array.from({ length: EPOCHS }, (_, i) => i + 1),
      `${key}: every epoch once`,
    );
  }
  rmSync(tmp, { recursive: true, force: true });
});
