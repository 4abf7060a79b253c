// `clara-train automl` with SlurmExecutor against a REAL one-node Slurm cluster (munged,
// slurmctld, slurmd, slurmrestd started by test/helpers/slurm-cluster.ts) with two fake GPUs:
// a search of 6 jobs, 2 at a time, each with its own CUDA_VISIBLE_DEVICES, events followed
// through the job folders' events.jsonl into a handler; kill -9 of the AutoML process and
// --resume re-attaching without resubmitting; a failing and a timed-out job; a stop that
// cancels (scancel); the slurmrestd path. Jobs run the AutoML tests' stand-in trainer
// (test/automl/fixtures/fake-train.mjs, a real child process writing the real events file).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, type JournalEntry } from '../../src/automl/journal.js';
import type { Outcome } from '../../src/automl/types.js';
import { automlConfig, makeMmar, trainConfig } from '../automl/fixtures/mmar.js';
import { SlurmTestCluster, skipUnlessSlurm } from '../helpers/slurm-cluster.js';

const ENTRY = fileURLToPath(new URL('../helpers/cli-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const skip = skipUnlessSlurm({ rest: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cluster: SlurmTestCluster;

before(async () => {
  if (skip) return;
  cluster = new SlurmTestCluster({ gpus: 2, cpus: 4, rest: true });
  await cluster.start();
});
// Children still running when a test failed or timed out are stopped before the cluster.
const children = new Set<ReturnType<typeof spawn>>();
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cluster?.stop();
});

// A BYOC handler that records every job_progress event it is given.
const PROGRESS_HANDLER = `
import { appendFileSync } from 'node:fs';
export class ProgressLog {
  startup(ctx) { this.file = ctx.RUN_ROOT + '/progress.log'; }
  job_progress(ctx, e) { appendFileSync(this.file, JSON.stringify({ job: ctx.JOB_NAME, type: e.type, epoch: e.epoch, info: e.info }) + '\\n'); }
}
`;

interface Proc {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

function cli(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...cluster.env, ...env },
  });
  children.add(child);
  let out = '',
    err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return { child, done: new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, out, err }))) };
}

function slurmMmar(train: Record<string, unknown>, controller: Record<string, unknown>, executorArgs: Record<string, unknown>): string {
  const base = automlConfig({ controller, executorArgs });
  const ex = base.executor as { name: string; args: Record<string, unknown> };
  return makeMmar({
    train,
    automl: {
      ...base,
      handlers: [...(base.handlers as unknown[]), { path: 'progressLog.ProgressLog' }],
      executor: {
        name: 'SlurmExecutor',
        args: { command: ex.args.command, partition: cluster.partition, gres: 'gpu:1', cpus_per_task: 1, poll_s: 0.2, ...executorArgs },
      },
    },
    files: { 'custom/progressLog.js': PROGRESS_HANDLER },
  });
}

const ends = (j: JournalEntry[]) => j.filter((e): e is Extract<JournalEntry, { type: 'job_end' }> => e.type === 'job_end');
const submits = (j: JournalEntry[]) => j.filter((e): e is Extract<JournalEntry, { type: 'job_submitted' }> => e.type === 'job_submitted');

// Slurm's own time limit (--time, whole minutes) ends a job after a minute or more: that
// search starts first and is checked last, while the other tests run beside it.
let slurmTimeLimit: { mmar: string; done: Proc['done'] } | undefined;
test('a job past its Slurm time limit (started here, checked at the end)', { skip }, () => {
  const train = {
    ...trainConfig({ epochs: 2, fake_epoch_ms: 100, fake_hang: true }),
    train: { loss: [{ name: 'DiceLoss', args: {} }] },
    search: [{ domain: 'lr', type: 'float', args: ['learning_rate'], targets: [1e-4, 1e-2] }],
  };
  const mmar = slurmMmar(train, { name: 'RandomController', args: { max_trials: 1, seed: 1 } }, { time: '1', gres: undefined });
  slurmTimeLimit = { mmar, done: cli(['automl', '-m', mmar, '--set', 'run_id=tl', 'trainconf=trn_automl.json', 'workers=slurm:1']).done };
});

test('a search of 6 Slurm jobs, 2 at a time on their own fake GPUs, events through events.jsonl', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(
    trainConfig({ epochs: 3, fake_epoch_ms: 400 }),
    { name: 'RandomController', args: { max_trials: 6, max_jobs_per_round: 2, seed: 3 } },
    {},
  );
  const r = await cli(['automl', '-m', mmar, '--set', 'run_id=s6', 'trainconf=trn_automl.json', 'workers=slurm:2', '--seed', '1']).done;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /final leaderboard \(6 jobs\)/);
  const run = join(mmar, 'automl', 's6');
  const j = Journal.read(join(run, 'journal.jsonl'));
  const outs = ends(j).map((e) => e.outcome);
  assert.equal(outs.length, 6);
  for (const o of outs) assert.equal(o.status, 'FINISHED', `${o.jobName}: ${o.error}`);
  // One Slurm job per AutoML job, journalled.
  const ids = submits(j).map((e) => e.schedulerId);
  assert.equal(new Set(ids).size, 6);
  // The slots: workers W0 and W1 only.
  for (const o of outs) assert.match(o.jobName, /^W[01]_/);
  // Each job: its batch script, its Slurm log, its events file; the handler saw the events.
  const progress = readFileSync(join(run, 'progress.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const spans: { job: string; gpu: string; start: number; end: number }[] = [];
  for (const o of outs) {
    const dir = join(run, o.jobName);
    assert.ok(existsSync(join(dir, 'slurm_job.sh')));
    const log = readFileSync(join(dir, 'log.txt'), 'utf8');
    assert.match(log, /slurm job \d+ \(restart 0\) on /);
    const ev = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      ev.map((e) => e.type),
      ['train_start', 'epoch_end', 'validation_end', 'epoch_end', 'validation_end', 'epoch_end', 'validation_end', 'train_end'],
    );
    const seen = progress.filter((p) => p.job === o.jobName).map((p) => p.type);
    assert.deepEqual(
      seen,
      ev.map((e) => e.type),
      `${o.jobName}: the handler got every event in order`,
    );
    assert.deepEqual(
      o.history?.map((h) => h.epoch),
      [1, 2, 3],
    );
    const gpu = ev[0].info.cuda_visible_devices as string;
    assert.ok(gpu === '0' || gpu === '1', `CUDA_VISIBLE_DEVICES=${gpu}`);
    spans.push({ job: o.jobName, gpu, start: ev[0].time, end: ev.at(-1).time });
  }
  // Two jobs ran at the same time, never on the same fake GPU.
  let overlaps = 0;
  for (const a of spans)
    for (const b of spans) {
      if (a.job >= b.job || a.end <= b.start || b.end <= a.start) continue;
      overlaps++;
      assert.notEqual(a.gpu, b.gpu, `${a.job} and ${b.job} ran at once on GPU ${a.gpu}`);
    }
  assert.ok(overlaps >= 1, 'jobs ran concurrently');
  rmSync(mmar, { recursive: true, force: true });
});

test('kill -9 of automl while Slurm jobs run; --resume re-attaches without resubmitting', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(
    trainConfig({ epochs: 4, fake_epoch_ms: 700 }),
    { name: 'RandomController', args: { max_trials: 6, max_jobs_per_round: 2, seed: 5 } },
    {},
  );
  const args = ['automl', '-m', mmar, '--set', 'run_id=rk', 'trainconf=trn_automl.json', 'workers=slurm:2', '--seed', '2'];
  const jf = join(mmar, 'automl', 'rk', 'journal.jsonl');
  const first = cli(args);
  let j: JournalEntry[] = [];
  for (let t = 0; t < 600; t++) {
    await sleep(100);
    j = Journal.read(jf);
    if (ends(j).length >= 1 && submits(j).length >= 3) break;
  }
  first.child.kill('SIGKILL');
  const r1 = await first.done;
  assert.equal(r1.signal, 'SIGKILL');
  j = Journal.read(jf);
  const endedBefore = new Set(ends(j).map((e) => e.job));
  const running = submits(j).filter((s) => !endedBefore.has(s.job));
  assert.ok(running.length >= 1, 'a Slurm job was running at the kill');
  // The Slurm jobs outlive the AutoML process.
  const q = cluster.cmd('squeue', ['-h', '-t', 'all', '-j', running.map((s) => s.schedulerId).join(','), '-o', '%i %T']);
  assert.match(q.out, /RUNNING|PENDING|COMPLETED|COMPLETING/, q.out + q.err);

  const r2 = await cli(args.filter((a) => a !== '--seed' && a !== '2').concat('--resume')).done;
  assert.equal(r2.code, 0, r2.err);
  assert.match(r2.err, new RegExp(`${running.length} cluster job\\(s\\) re-attached`));
  for (const s of running) assert.match(r2.err, new RegExp(`${s.job}: re-attached to job ${s.schedulerId}`));
  assert.match(r2.out, /final leaderboard \(6 jobs\)/);
  const all = Journal.read(jf);
  const after = all.slice(j.length);
  // Re-attached jobs keep their Slurm id; every other submission after the resume is a job that had not started.
  const subsAfter = submits(after);
  for (const s of running)
    assert.ok(
      subsAfter.some((x) => x.job === s.job && x.schedulerId === s.schedulerId),
      `${s.job} re-attached`,
    );
  const beforeIds = new Set(submits(j).map((s) => s.schedulerId));
  const newIds = subsAfter.filter((s) => !beforeIds.has(s.schedulerId));
  for (const s of newIds) assert.ok(!submits(j).some((x) => x.job === s.job), `${s.job} was submitted twice`);
  const finished = ends(all)
    .filter((e) => e.outcome.status === 'FINISHED')
    .map((e) => e.outcome.recommendation.id)
    .sort((a, b) => a - b);
  assert.deepEqual(finished, [0, 1, 2, 3, 4, 5]);
  // Slurm ran exactly 6 jobs for the 6 trials.
  assert.equal(new Set(submits(all).map((s) => s.schedulerId)).size, 6);
  rmSync(mmar, { recursive: true, force: true });
});

/** A finished search's outcomes, and each job's concrete train config. */
function searchOutcomes(mmar: string, runId: string): { outs: Outcome[]; conf: (o: Outcome) => Record<string, unknown> } {
  const run = join(mmar, 'automl', runId);
  return {
    outs: ends(Journal.read(join(run, 'journal.jsonl'))).map((e) => e.outcome),
    conf: (o) => JSON.parse(readFileSync(join(run, o.jobName, 'config', 'config_train.json'), 'utf8')),
  };
}

test('a failing job scores -1000000 with its log; a timed-out job is cancelled and scored TIMEOUT', { skip, timeout: 180_000 }, async () => {
  const train = {
    ...trainConfig({ epochs: 2, fake_epoch_ms: 200 }),
    fake_crash: false,
    fake_hang: false,
    train: { loss: [{ name: 'DiceLoss', args: {} }] },
    search: [
      {
        domain: 'net',
        type: 'enum',
        args: ['fake_crash', 'fake_hang'],
        targets: [
          [true, false],
          [false, true],
          [false, false],
        ],
      },
    ],
  };
  const mmar = slurmMmar(train, { name: 'GridController', args: {} }, { timeout_s: 3 });
  const r = await cli(['automl', '-m', mmar, '--set', 'run_id=ft', 'trainconf=trn_automl.json', 'workers=slurm:3']).done;
  assert.equal(r.code, 0, r.err);
  const { outs, conf } = searchOutcomes(mmar, 'ft');
  assert.equal(outs.length, 3);
  const failed = outs.find((o) => conf(o).fake_crash)!,
    hung = outs.find((o) => conf(o).fake_hang)!;
  const ok = outs.find((o) => !conf(o).fake_crash && !conf(o).fake_hang)!;
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.score, -1000000);
  assert.match(failed.error!, /Slurm state FAILED \(Slurm job \d+, exit 3\); last log lines: .*fake crash/);
  assert.equal(hung.status, 'TIMEOUT');
  assert.equal(hung.score, -1000000);
  assert.match(hung.error!, /exceeded the time limit of 3s \(scancel \d+\)/);
  assert.equal(ok.status, 'FINISHED');
  const hungId = submits(Journal.read(join(mmar, 'automl', 'ft', 'journal.jsonl'))).find((s) => s.job === hung.jobName)!.schedulerId;
  const st = cluster.cmd('sacct', ['-c', '-j', hungId, '-P', '-n', '--format=JobID,State']);
  assert.match(st.out, new RegExp(`^${hungId}\\|CANCELLED`, 'm'));
  rmSync(mmar, { recursive: true, force: true });
});

test('a Slurm job that stops making progress (no event, no log output for stall_s) is cancelled as stalled', { skip, timeout: 180_000 }, async () => {
  const train = {
    ...trainConfig({ epochs: 2, fake_epoch_ms: 200 }),
    fake_hang: false,
    train: { loss: [{ name: 'DiceLoss', args: {} }] },
    search: [{ domain: 'net', type: 'enum', args: ['fake_hang'], targets: [[true], [false]] }],
  };
  const mmar = slurmMmar(train, { name: 'GridController', args: {} }, { stall_s: 2 });
  const r = await cli(['automl', '-m', mmar, '--set', 'run_id=stall', 'trainconf=trn_automl.json', 'workers=slurm:2']).done;
  assert.equal(r.code, 0, r.err);
  const { outs, conf } = searchOutcomes(mmar, 'stall');
  assert.equal(outs.length, 2);
  const hung = outs.find((o) => conf(o).fake_hang)!,
    ok = outs.find((o) => !conf(o).fake_hang)!;
  assert.equal(hung.status, 'TIMEOUT');
  assert.equal(hung.score, -1000000);
  assert.match(hung.error!, /stalled: no progress event and no log output for \d+s \(stall_s 2; scancel \d+\)/);
  assert.equal(ok.status, 'FINISHED');
  rmSync(mmar, { recursive: true, force: true });
});

test('stopping the search (SIGINT) cancels its Slurm jobs with scancel', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(
    trainConfig({ epochs: 3, fake_epoch_ms: 20000 }),
    { name: 'RandomController', args: { max_trials: 4, max_jobs_per_round: 2, seed: 9 } },
    {},
  );
  const jf = join(mmar, 'automl', 'st', 'journal.jsonl');
  const p = cli(['automl', '-m', mmar, '--set', 'run_id=st', 'trainconf=trn_automl.json', 'workers=slurm:2']);
  let ids: string[] = [];
  for (let t = 0; t < 300 && ids.length < 2; t++) {
    await sleep(100);
    ids = submits(Journal.read(jf)).map((s) => s.schedulerId);
  }
  for (let t = 0; t < 100; t++) {
    if (
      cluster
        .cmd('squeue', ['-h', '-j', ids.join(','), '-o', '%T'])
        .out.trim()
        .split('\n')
        .filter((s) => s === 'RUNNING').length === 2
    )
      break;
    await sleep(100);
  }
  p.child.kill('SIGINT');
  const r = await p.done;
  assert.match(r.err, /SIGINT: stopping/);
  const outs = ends(Journal.read(jf)).map((e) => e.outcome);
  assert.equal(outs.length, 2);
  for (const o of outs) {
    assert.equal(o.status, 'KILLED');
    assert.match(o.error!, /scancel \d+/);
  }
  const st = cluster.cmd('sacct', ['-c', '-j', ids.join(','), '-P', '-n', '--format=JobID,State']);
  for (const id of ids) assert.match(st.out, new RegExp(`^${id}\\|CANCELLED`, 'm'), st.out);
  assert.equal(cluster.cmd('squeue', ['-h', '-j', ids.join(','), '-o', '%i']).out.trim(), '', 'none of them left in the queue');
  rmSync(mmar, { recursive: true, force: true });
});

test('the slurmrestd path: jobs submitted, followed and scored over REST with a JWT', { skip, timeout: 180_000 }, async () => {
  const mmar = slurmMmar(
    trainConfig({ epochs: 2, fake_epoch_ms: 200 }),
    { name: 'RandomController', args: { max_trials: 3, max_jobs_per_round: 2, seed: 4 } },
    { rest_url: cluster.restUrl, rest_user: 'root' },
  );
  const token = cluster.token();
  const r = await cli(['automl', '-m', mmar, '--set', 'run_id=rest', 'trainconf=trn_automl.json', 'workers=slurm:2'], { SLURM_JWT: token }).done;
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.err.includes(token) && !r.out.includes(token), 'the token is never printed');
  const j = Journal.read(join(mmar, 'automl', 'rest', 'journal.jsonl'));
  const outs = ends(j).map((e) => e.outcome);
  assert.equal(outs.length, 3);
  for (const o of outs) assert.equal(o.status, 'FINISHED', o.error);
  const run = join(mmar, 'automl', 'rest');
  for (const name of readdirSync(run).filter((n) => /^W\d_/.test(n))) {
    const ev = readFileSync(join(run, name, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.match(ev[0].info.cuda_visible_devices, /^[01]$/);
  }
  // Without a token the REST client fails with a clear message, naming how to get one.
  const mmar2 = slurmMmar(trainConfig({ epochs: 1 }), { name: 'RandomController', args: { max_trials: 1, seed: 4 } }, { rest_url: cluster.restUrl });
  const r2 = await cli(['automl', '-m', mmar2, '--set', 'run_id=nojwt', 'trainconf=trn_automl.json', 'workers=slurm:1'], { SLURM_JWT: '' }).done;
  assert.match(r2.err, /SLURM_JWT is not set: get a token with `scontrol token/);
  rmSync(mmar, { recursive: true, force: true });
  rmSync(mmar2, { recursive: true, force: true });
});

test('Slurm ended the job at its time limit: TIMEOUT, -1000000', { skip, timeout: 240_000 }, async () => {
  const { mmar, done } = slurmTimeLimit!;
  const r = await done;
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /no job produced a score/);
  const [o] = ends(Journal.read(join(mmar, 'automl', 'tl', 'journal.jsonl'))).map((e) => e.outcome);
  assert.equal(o.status, 'TIMEOUT');
  assert.equal(o.score, -1000000);
  assert.match(o.error!, /Slurm ended the job at its time limit \(TIMEOUT\)/);
  assert.match(readFileSync(join(mmar, 'automl', 'tl', o.jobName, 'log.txt'), 'utf8'), /DUE TO TIME LIMIT/);
  rmSync(mmar, { recursive: true, force: true });
});
