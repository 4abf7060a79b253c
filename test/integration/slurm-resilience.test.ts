// SlurmExecutor when the cluster misbehaves, against a REAL one-node Slurm: a node failure
// requeues the job (same Slurm id, followed to its end, history starting over), a journalled
// job that Slurm no longer knows is resubmitted on --resume while a live one is re-attached,
// and a real `clara-train train` job (the default command: absolute node + bin) reports its
// epochs through events.jsonl.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cancelRunSlurmJobs } from '../../src/automl/executors/slurm-stop.js';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import { automlConfig, makeMmar, trainConfig } from '../automl/fixtures/mmar.js';
import type { SlurmTestCluster } from '../helpers/slurm-cluster.js';
import { slurmSuite } from '../helpers/slurm-suite.js';

const { skip, cluster: clusterOf, cli } = slurmSuite({ gpus: 2, cpus: 4 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cluster: SlurmTestCluster;
before(() => {
  if (!skip) cluster = clusterOf();
});

function slurmMmar(train: Record<string, unknown>, controller: Record<string, unknown>): string {
  const base = automlConfig({ controller });
  const ex = base.executor as { args: Record<string, unknown> };
  return makeMmar({ train, automl: { ...base, executor: { name: 'SlurmExecutor', args: { command: ex.args.command, gres: 'gpu:1', poll_s: 0.2 } } } });
}

const ends = (j: JournalEntry[]) => j.filter((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end');
const submits = (j: JournalEntry[]) => j.filter((e): e is Extract<JournalEntry, { type: 'job_submitted' }> => e.type === 'job_submitted');
const squeue = (id: string) => cluster.cmd('squeue', ['-h', '-t', 'all', '-j', id, '-o', '%T']).out.trim();

test('a node failure requeues the job: same Slurm id, followed to the end, scored once', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(trainConfig({ epochs: 3, fake_epoch_ms: 1200 }), { name: 'RandomController', args: { max_trials: 1, seed: 1 } });
  const jf = join(mmar, 'automl', 'nf', 'journal.jsonl');
  const p = cli(['automl', '-m', mmar, '--set', 'run_id=nf', 'trainconf=trn_automl.json', 'workers=slurm:1']);
  let id = '';
  let job = '';
  for (let t = 0; t < 300; t++) {
    await sleep(100);
    const s = submits(Journal.read(jf))[0];
    if (s && squeue(s.schedulerId) === 'RUNNING') {
      try {
        if (readFileSync(join(mmar, 'automl', 'nf', s.job, 'events.jsonl'), 'utf8').includes('epoch_end')) {
          id = s.schedulerId;
          job = s.job;
          break;
        }
      } catch {
        /* not yet */
      }
    }
  }
  assert.ok(id, 'the job ran');
  const down = cluster.cmd('scontrol', ['update', `nodename=${cluster.nodeName}`, 'state=down', 'reason=clara-test']);
  assert.equal(down.code, 0, down.err);
  for (let t = 0; t < 100 && squeue(id) !== 'PENDING'; t++) await sleep(100);
  assert.equal(squeue(id), 'PENDING', 'Slurm requeued the job');
  // Slurm holds a requeued job for 2 minutes (BeginTime) so that the node can clean up the
  // killed run; once its slurmstepd is gone, let it start now.
  for (let t = 0; t < 300 && cluster.cmd('pgrep', ['-f', `slurmstepd: \\[${id}\\.`]).out.trim(); t++) await sleep(100);
  await sleep(1000);
  cluster.cmd('scontrol', ['update', `jobid=${id}`, 'StartTime=now']);
  const r = await p.done;
  assert.equal(r.code, 0, r.err);
  const j = Journal.read(jf);
  assert.deepEqual(
    submits(j).map((s) => s.schedulerId),
    [id],
    'not resubmitted: Slurm requeued it',
  );
  const [end] = ends(j);
  assert.equal(end.outcome.status, 'FINISHED', end.outcome.error);
  assert.deepEqual(
    end.outcome.history!.map((h) => h.epoch),
    [1, 2, 3],
    'the history of the second run only',
  );
  const log = readFileSync(join(mmar, 'automl', 'nf', job, 'log.txt'), 'utf8');
  assert.match(log, /NODE FAILURE/);
  assert.match(log, /slurm job \d+ \(restart 1\)/);
  rmSync(mmar, { recursive: true, force: true });
});

test('--resume collects a job that ended meanwhile and resubmits one that Slurm no longer knows', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(trainConfig({ epochs: 3, fake_epoch_ms: 500 }), { name: 'RandomController', args: { max_trials: 2, max_jobs_per_round: 2, seed: 2 } });
  const args = ['automl', '-m', mmar, '--set', 'run_id=lost', 'trainconf=trn_automl.json', 'workers=slurm:2'];
  const jf = join(mmar, 'automl', 'lost', 'journal.jsonl');
  const first = cli(args);
  let s: ReturnType<typeof submits> = [];
  for (let t = 0; t < 300 && s.length < 2; t++) {
    await sleep(100);
    s = submits(Journal.read(jf));
  }
  first.child.kill('SIGKILL');
  await first.done;
  assert.equal(s.length, 2);
  // The first job ends while no AutoML process watches it: --resume collects it.
  for (let t = 0; t < 300 && squeue(s[0].schedulerId) !== 'COMPLETED'; t++) await sleep(100);
  assert.equal(squeue(s[0].schedulerId), 'COMPLETED');
  // The second job is lost: its Slurm job is gone and the journal points at an id Slurm never had.
  cluster.cmd('scancel', [s[1].schedulerId]);
  const text = readFileSync(jf, 'utf8').replace(`"schedulerId":"${s[1].schedulerId}"`, '"schedulerId":"987654"');
  writeFileSync(jf, text);
  const r = await cli([...args, '--resume']).done;
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /2 cluster job\(s\) re-attached/);
  assert.match(r.err, new RegExp(`${s[0].job}: re-attached to job ${s[0].schedulerId} \\(COMPLETED\\)`));
  assert.match(r.err, new RegExp(`${s[1].job}: job 987654 is unknown to Slurm \\(lost\\); submitting it again`));
  const j = Journal.read(jf);
  const outs = ends(j).map((e) => e.outcome);
  assert.deepEqual(outs.map((o) => o.status).sort(), ['FINISHED', 'FINISHED']);
  const ids = submits(j)
    .filter((x) => x.job === s[1].job)
    .map((x) => x.schedulerId);
  assert.equal(ids.length, 3, 'journalled: first id (rewritten), re-attach, resubmission');
  assert.ok(!['987654', s[1].schedulerId].includes(ids[2]), 'a new Slurm id');
  assert.deepEqual(
    submits(j)
      .filter((x) => x.job === s[0].job)
      .map((x) => x.schedulerId),
    [s[0].schedulerId, s[0].schedulerId],
  );
  rmSync(mmar, { recursive: true, force: true });
});

test(
  'real `clara-train train` jobs on Slurm (default command) stream their epochs through events.jsonl, into MLflow child runs',
  { skip, timeout: 300_000 },
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'clara-slurm-real-'));
    const mmar = join(tmp, 'mmar');
    const init = await cli(['init', '--example', 'synthetic', mmar, '--train-cases', '2', '--val-cases', '1', '--size', '16'], tmp).done;
    assert.equal(init.code, 0, init.err);
    const tf = join(mmar, 'config', 'config_train.json');
    const t = JSON.parse(readFileSync(tf, 'utf8'));
    t.epochs = 2;
    t.num_interval_per_valid = 1;
    t.train.pre_transforms.find((x: { name: string }) => x.name === 'RandCropByPosNegLabeld').args.spatial_size = [8, 8, 8];
    t.validate.inferer.args.roi_size = [8, 8, 8];
    writeFileSync(tf, JSON.stringify(t, null, 2));
    const af = join(mmar, 'config', 'config_automl.json');
    const a = JSON.parse(readFileSync(af, 'utf8'));
    a.controller = { name: 'RandomController', args: { max_trials: 2, max_jobs_per_round: 2, seed: 0 } };
    a.executor = { name: 'SlurmExecutor', args: { gres: 'gpu:1', cpus_per_task: 1, poll_s: 0.5 } };
    writeFileSync(af, JSON.stringify(a, null, 2));
    const r = await cli(['automl', '-m', mmar, '--set', 'run_id=real', 'workers=slurm:2'], tmp).done;
    assert.equal(r.code, 0, r.err);
    const run = join(mmar, 'automl', 'real');
    const outs = ends(Journal.read(join(run, 'journal.jsonl'))).map((e) => e.outcome);
    assert.equal(outs.length, 2);
    for (const o of outs) {
      assert.equal(o.status, 'FINISHED', o.error);
      assert.deepEqual(
        o.history?.map((h) => h.epoch),
        [1, 2],
      );
      const dir = join(run, o.jobName);
      assert.match(
        readFileSync(join(dir, 'slurm_job.sh'), 'utf8'),
        new RegExp(`exec ${process.execPath.replace(/[/.]/g, '\\$&')} \\S+/bin/clara-train\\.js train -m ${dir.replace(/[/.]/g, '\\$&')}`),
      );
      const types = readFileSync(join(dir, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type);
      assert.equal(types[0], 'train_start');
      assert.equal(types.at(-1), 'train_end');
      assert.equal(types.filter((x) => x === 'validation_end').length, 2);
      assert.ok(readdirSync(join(dir, 'models')).includes('train_stats.json'));
    }
    // MLflow (the default local mlruns store, in the working folder) has one child run per
    // Slurm job, streamed from events.jsonl as for local jobs: a step per epoch, no gap.
    const store = join(tmp, 'mlruns');
    const exp = readdirSync(store).find((d) => d !== '0' && /^\d+$/.test(d));
    assert.ok(exp, 'an MLflow experiment in mlruns');
    const children = readdirSync(join(store, exp)).filter((r) => {
      try {
        return readFileSync(join(store, exp, r, 'tags', 'mlflow.parentRunId'), 'utf8').length > 0;
      } catch {
        return false;
      }
    });
    assert.equal(children.length, 2, 'a child run per Slurm job');
    for (const c of children) {
      for (const key of ['train_loss', 'val_mean_dice']) {
        const lines: string[] = readFileSync(join(store, exp, c, 'metrics', key), 'utf8')
          .trim()
          .split('\n');
        const steps = lines.map((l) => Number(l.split(' ')[2]));
        assert.deepEqual(steps, [1, 2], `${c} ${key} steps`);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  },
);

test('median pruning cancels a Slurm job below the median (scancel → PRUNED with its best score)', { skip, timeout: 180_000 }, async () => {
  const base = automlConfig({
    controller: { name: 'RandomController', args: { max_trials: 6, max_jobs_per_round: 1, seed: 3 } },
    pruner: { name: 'MedianPruner', args: { n_startup_jobs: 2, n_warmup_epochs: 1 } },
  });
  const ex = base.executor as { args: Record<string, unknown> };
  const mmar = makeMmar({
    train: trainConfig({ epochs: 6, fake_epoch_ms: 400 }),
    automl: { ...base, executor: { name: 'SlurmExecutor', args: { command: ex.args.command, poll_s: 0.2 } } },
  });
  const r = await cli(['automl', '-m', mmar, '--set', 'run_id=pr', 'trainconf=trn_automl.json', 'workers=slurm:1']).done;
  assert.equal(r.code, 0, r.err);
  const j = Journal.read(join(mmar, 'automl', 'pr', 'journal.jsonl'));
  const pruned = ends(j)
    .map((e) => e.outcome)
    .filter((o) => o.status === 'PRUNED');
  assert.ok(pruned.length > 0, `some job was pruned:\n${r.err}`);
  for (const p of pruned) {
    assert.ok(p.score > -1000000 && p.score < 1, `pruned score = best so far (${p.score})`);
    assert.ok((p.history?.length ?? 99) < 6);
    const id = submits(j).find((s) => s.job === p.jobName)!.schedulerId;
    assert.match(cluster.cmd('sacct', ['-c', '-j', id, '-P', '-n', '--format=JobID,State']).out, new RegExp(`^${id}\\|CANCELLED`, 'm'));
  }
  rmSync(mmar, { recursive: true, force: true });
});

test('the Slurm jobs of a search whose AutoML process died are cancelled from its journal', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(trainConfig({ epochs: 3, fake_epoch_ms: 20000 }), {
    name: 'RandomController',
    args: { max_trials: 3, max_jobs_per_round: 3, seed: 4 },
  });
  const run = join(mmar, 'automl', 'cx');
  const p = cli(['automl', '-m', mmar, '--set', 'run_id=cx', 'trainconf=trn_automl.json', 'workers=slurm:3']);
  let s: ReturnType<typeof submits> = [];
  for (let t = 0; t < 300 && s.length < 3; t++) {
    await sleep(100);
    s = submits(Journal.read(join(run, 'journal.jsonl')));
  }
  p.child.kill('SIGKILL');
  await p.done;
  assert.equal(s.length, 3);
  // Two run on the two fake GPUs, the third waits: both kinds are cancelled.
  const prev = process.env.SLURM_CONF;
  process.env.SLURM_CONF = cluster.conf;
  try {
    const cancelled = await cancelRunSlurmJobs(run);
    assert.deepEqual([...cancelled.values()].sort(), s.map((x) => x.schedulerId).sort());
    assert.deepEqual([...cancelled.keys()].sort(), s.map((x) => x.job).sort());
    for (let t = 0; t < 100 && cluster.cmd('squeue', ['-h', '-j', s.map((x) => x.schedulerId).join(','), '-o', '%i']).out.trim(); t++) await sleep(100);
    const st = cluster.cmd('sacct', ['-c', '-j', s.map((x) => x.schedulerId).join(','), '-P', '-n', '--format=JobID,State']).out;
    for (const x of s) assert.match(st, new RegExp(`^${x.schedulerId}\\|CANCELLED`, 'm'), st);
    assert.equal((await cancelRunSlurmJobs(run)).size, 0, 'nothing left to cancel');
  } finally {
    if (prev === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = prev;
  }
  await assert.rejects(cancelRunSlurmJobs(mmar), /journal\.jsonl: no journal: not an AutoML run folder/);
  rmSync(mmar, { recursive: true, force: true });
});

test('slurmctld killed (-9) and restarted mid-search: the executor keeps polling and every job finishes', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(trainConfig({ epochs: 5, fake_epoch_ms: 3000 }), {
    name: 'RandomController',
    args: { max_trials: 3, max_jobs_per_round: 2, seed: 6 },
  });
  const run = join(mmar, 'automl', 'cr');
  const p = cli(['automl', '-m', mmar, '--set', 'run_id=cr', 'trainconf=trn_automl.json', 'workers=slurm:2']);
  // slurmctld saves its state a few seconds after a job starts: a crash before that loses the
  // job (Slurm's behaviour); after it, running jobs survive. Crash once both ran 2 epochs (6 s),
  // and 3 s more: a busy slurmctld saved its state later than that once (the search then waited
  // for a job Slurm had lost); the jobs still have 3 s to run after the crash.
  const epochs = (job: string) => {
    try {
      return readFileSync(join(run, job, 'events.jsonl'), 'utf8').split('epoch_end').length - 1;
    } catch {
      return 0;
    }
  };
  for (let t = 0; t < 600; t++) {
    await sleep(100);
    const s = submits(Journal.read(join(run, 'journal.jsonl')));
    if (s.length >= 2 && s.every((x) => epochs(x.job) >= 2)) break;
  }
  await sleep(3000);
  const crashAt = Date.now();
  await cluster.crashController(4000);
  const r = await p.done;
  assert.equal(r.code, 0, r.err);
  const j = Journal.read(join(run, 'journal.jsonl'));
  assert.ok(
    ends(j).every((e) => e.time > crashAt),
    'the two first jobs ended after the crash',
  );
  const outs = ends(j).map((e) => e.outcome);
  assert.deepEqual(
    outs.map((o) => o.status),
    ['FINISHED', 'FINISHED', 'FINISHED'],
    outs.map((o) => o.error).join('\n'),
  );
  assert.equal(new Set(submits(j).map((s) => s.schedulerId)).size, 3, 'no job submitted twice');
  rmSync(mmar, { recursive: true, force: true });
});
