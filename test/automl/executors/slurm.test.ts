// SlurmExecutor's pure parts: the arguments (each mistake names its JSON path), workers
// 'slurm:N', Slurm states → AutoML statuses, the batch script and the sbatch options, the
// time limit in minutes for slurmrestd. The executor itself runs against a real Slurm in
// test/integration/slurm-automl.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmCli } from '../../../src/automl/executors/slurm-cli.js';
import { decodeWaitStatus, isLost, isTerminal, statusOf } from '../../../src/automl/executors/slurm-client.js';
import { slurmExecutorFromArgs, slurmWorkerCount } from '../../../src/automl/executors/slurm-config.js';
import { timeLimitMinutes } from '../../../src/automl/executors/slurm-rest.js';
import { shQuote } from '../../../src/automl/executors/slurm.js';
import { configSearchSource } from '../../../src/automl/search-source.js';
import type { Job } from '../../../src/automl/types.js';

const place = { file: 'config_automl.json', path: 'executor' };
const common = () => ({ mmarRoot: '/m', trainConfigFile: '/m/config/config_train.json', space: { items: [] } as never, source: configSearchSource });

test('workers slurm:N', () => {
  assert.equal(slurmWorkerCount('slurm:3'), 3);
  assert.equal(slurmWorkerCount('slurm'), 0);
  assert.equal(slurmWorkerCount('0:1'), undefined);
  assert.equal(slurmWorkerCount(undefined), undefined);
  assert.throws(() => slurmWorkerCount('slurm:0'), /--set workers: expected workers 'slurm:N'/);
  assert.throws(() => slurmWorkerCount('slurm:two'), /expected workers 'slurm:N'/);
});

test('arguments: each mistake names its JSON path and what was expected', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ time: '2 hours' }, /executor\.args\.time: expected a Slurm time limit/],
    [{ gres: 'gpu 1' }, /executor\.args\.gres: expected a gres list like 'gpu:1'/],
    [{ mem: '16 gigs' }, /executor\.args\.mem: expected memory per node like '16G'/],
    [{ cpus_per_task: 0 }, /executor\.args\.cpus_per_task: expected an integer ≥ 1, got 0/],
    [{ max_concurrent: 1.5 }, /executor\.args\.max_concurrent: expected an integer ≥ 1/],
    [{ sbatch_args: ['exclusive'] }, /executor\.args\.sbatch_args\[0\]: expected an sbatch option starting with '-'/],
    [
      { sbatch_args: ['--exclusive'], rest_url: 'http://h:6820' },
      /executor\.args\.sbatch_args: sbatch_args are command-line options and cannot go through slurmrestd/,
    ],
    [{ rest_url: 'h:6820' }, /executor\.args\.rest_url: expected an http\(s\) URL/],
    [{ node_env: [1] }, /executor\.args\.node_env: expected a list of strings/],
    [{ poll_s: -1 }, /executor\.args\.poll_s: expected a number > 0/],
    [{ partition: '' }, /executor\.args\.partition: expected a non-empty string/],
  ];
  for (const [args, re] of bad) assert.throws(() => slurmExecutorFromArgs(args, place, common(), undefined), re, JSON.stringify(args));
  assert.equal(slurmExecutorFromArgs({ max_concurrent: 4 }, place, common(), undefined).concurrent, 4);
  assert.equal(slurmExecutorFromArgs({ max_concurrent: 4 }, place, common(), 'slurm:2').concurrent, 2, 'workers=slurm:N wins');
  assert.equal(slurmExecutorFromArgs({}, place, common(), undefined).concurrent, 1);
  assert.equal(slurmExecutorFromArgs({ rest_url: 'http://h:6820' }, place, common(), undefined).executor.opts.client.kind, 'rest');
});

test('Slurm states map to the local executor statuses', () => {
  assert.deepEqual(statusOf('COMPLETED', false), { status: 'FINISHED' });
  assert.equal(statusOf('TIMEOUT', false).status, 'TIMEOUT');
  assert.equal(statusOf('DEADLINE', false).status, 'TIMEOUT');
  assert.equal(statusOf('CANCELLED by 0', true).status, 'KILLED');
  assert.match(statusOf('CANCELLED by 1000', false).why!, /cancelled outside AutoML/);
  assert.equal(statusOf('CANCELLED', false).status, 'FAILED');
  assert.match(statusOf('OUT_OF_MEMORY', false).why!, /out of memory.*executor\.args\.mem/);
  assert.equal(statusOf('FAILED', false).status, 'FAILED');
  for (const s of ['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL']) assert.ok(isLost(s) && isTerminal(s), s);
  for (const s of ['PENDING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'CONFIGURING', 'SUSPENDED']) assert.ok(!isTerminal(s), s);
  assert.deepEqual(decodeWaitStatus(768), { exitCode: 3, signal: 0 });
  assert.deepEqual(decodeWaitStatus(9), { exitCode: 0, signal: 9 });
});

test('time limits in whole minutes for slurmrestd', () => {
  assert.equal(timeLimitMinutes('30'), 30);
  assert.equal(timeLimitMinutes('0:30'), 1);
  assert.equal(timeLimitMinutes('90:00'), 90);
  assert.equal(timeLimitMinutes('2:00:01'), 121);
  assert.equal(timeLimitMinutes('1-2'), 26 * 60);
  assert.equal(timeLimitMinutes('1-00:30:00'), 24 * 60 + 30);
});

test('the batch script runs node_env first and the train command with the job variables, quoted for bash', () => {
  const dir = mkdtempSync(join(tmpdir(), "clara slurm 'q'-"));
  const { executor } = slurmExecutorFromArgs(
    { node_env: ['export FROM_NODE_ENV=yes'], gres: 'gpu:1', time: '10', partition: 'p1', sbatch_args: ['--exclusive'] },
    place,
    {
      ...common(),
      command: ['/bin/sh', '-c', 'echo "$FROM_NODE_ENV $CLARA_JOB_NAME $CLARA_EVENTS_FILE" > "$1/out.txt"', 'sh', '{mmar}'],
      env: { EXTRA: "a b'c" },
    },
    undefined,
  );
  const job: Job = { name: 'W0_1_J0', round: 1, index: 0, recommendation: { id: 0, values: {} }, mmarRoot: dir };
  const script = executor.script(job, join(dir, 'config', 'config_train.json'));
  writeFileSync(join(dir, 'job.sh'), script);
  const r = spawnSync('bash', [join(dir, 'job.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH, SLURM_JOB_ID: '7' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /slurm job 7 \(restart 0\) on /);
  assert.equal(spawnSync('cat', [join(dir, 'out.txt')], { encoding: 'utf8' }).stdout.trim(), `yes W0_1_J0 ${join(dir, 'events.jsonl')}`);
  assert.match(script, /export EXTRA='a b'\\''c'/);
  assert.equal(shQuote('/a/b-c.json'), '/a/b-c.json');
  const a = SlurmCli.sbatchArgs({
    script,
    scriptFile: '/j/slurm_job.sh',
    jobName: 'clara-W0',
    workdir: '/j',
    output: '/j/log.txt',
    env: {},
    gres: 'gpu:1',
    time: '10',
    partition: 'p1',
    cpusPerTask: 2,
    mem: '8G',
    account: 'a',
    qos: 'q',
    sbatchArgs: ['--exclusive'],
  });
  assert.deepEqual(a, [
    '--parsable',
    '--job-name=clara-W0',
    '--chdir=/j',
    '--output=/j/log.txt',
    '--open-mode=append',
    '--requeue',
    '--export=ALL',
    '--partition=p1',
    '--gres=gpu:1',
    '--cpus-per-task=2',
    '--mem=8G',
    '--time=10',
    '--account=a',
    '--qos=q',
    '--exclusive',
    '/j/slurm_job.sh',
  ]);
  rmSync(dir, { recursive: true, force: true });
});

test('an unreachable controller is tried again; a bad request is not', async () => {
  const { isTransient, retryTransient } = await import('../../../src/automl/executors/slurm.js');
  assert.ok(isTransient(new Error('sbatch failed (exit 1): sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)')));
  assert.ok(isTransient(new Error('slurmrestd jobs failed (HTTP 503): ')));
  assert.ok(!isTransient(new Error('sbatch failed (exit 1): sbatch: error: invalid partition specified: nope')));
  let n = 0;
  const waits: number[] = [];
  assert.equal(
    await retryTransient(
      async () => {
        if (++n < 3) throw new Error('Socket timed out on send/recv operation');
        return 'ok';
      },
      (_e, s) => waits.push(s),
      [0.01, 0.01, 0.01],
    ),
    'ok',
  );
  assert.deepEqual(waits, [0.01, 0.01]);
  await assert.rejects(
    retryTransient(
      async () => {
        throw new Error('invalid partition specified');
      },
      () => assert.fail('no retry'),
      [0.01],
    ),
    /invalid partition/,
  );
  await assert.rejects(
    retryTransient(
      async () => {
        throw new Error('connect failure');
      },
      () => {},
      [0.01],
    ),
    /connect failure/,
    'gives up after the last delay',
  );
});
