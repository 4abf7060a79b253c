// The StatsHandler's running-job view: epochs, loss, validation metric and ETA from job
// events; a table for a terminal, one line per epoch otherwise (checked on a real
// non-TTY stream and on a stream that says it is a TTY).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LiveJobs } from '../../src/automl/handlers/live-jobs.js';
import { StatsHandler } from '../../src/automl/handlers/stats-handler.js';
import type { Context } from '../../src/automl/types.js';

const ctx = (job: string, worker: number): Context => ({
  RUN_ID: 'r',
  RUN_ROOT: '/tmp/x',
  MMAR_ROOT: '/tmp',
  JOB_NAME: job,
  WORKER: { id: worker, gpus: [] },
  props: {},
});

test('live jobs: epoch of total, loss, val and ETA from the mean epoch time', () => {
  let now = 1000;
  const l = new LiveJobs(() => now);
  l.start(ctx('W0_1_J0', 0));
  l.start(ctx('W1_1_J1', 1));
  l.progress(ctx('W0_1_J0', 0), { type: 'train_start', time: now, info: { epochs: 8 } });
  now += 4000;
  l.progress(ctx('W0_1_J0', 0), { type: 'validation_end', epoch: 2, time: now, metrics: { val_mean_dice: 0.5 } });
  const r = l.progress(ctx('W0_1_J0', 0), { type: 'epoch_end', epoch: 2, time: now, metrics: { train_loss: 0.25, lr: 1e-3 } })!;
  assert.equal(l.eta(r), 12);
  assert.equal(l.line(r), 'W0_1_J0 epoch 2/8 loss 0.25 val 0.5 ETA 12 s');
  assert.deepEqual(
    l.table().map((x) => x.split(/\s+/)),
    [
      ['running', 'worker', 'epoch', 'loss', 'val', 'ETA'],
      ['W0_1_J0', '0', '2/8', '0.25', '0.5', '12', 's'],
      ['W1_1_J1', '1', '0/?', '-', '-', '-'],
    ],
  );
  l.end('W0_1_J0');
  l.end('W1_1_J1');
  assert.deepEqual(l.table(), []);
});

test('StatsHandler: plain lines per epoch on a pipe; on a terminal the block is redrawn in place', () => {
  const pipe = new PassThrough();
  let out = '';
  pipe.on('data', (d) => {
    out += d;
  });
  const h = new StatsHandler();
  (h as unknown as { stream: NodeJS.WriteStream }).stream = pipe as unknown as NodeJS.WriteStream;
  h.startJob(ctx('W0_1_J0', 0));
  h.jobProgress(ctx('W0_1_J0', 0), { type: 'epoch_end', epoch: 1, time: 0, metrics: { train_loss: 0.5 } });
  h.endJob({ ...ctx('W0_1_J0', 0), OUTCOME: { jobName: 'W0_1_J0', score: 0.7, status: 'FINISHED', recommendation: { id: 0, values: {} } } });
  assert.match(out, /^automl r: W0_1_J0 epoch 1\/\? loss 0\.5 val - ETA -\nautoml r: 1 job\(s\) done\n/);
  assert.doesNotMatch(out, /\x1b\[/);

  const tty = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let screen = '';
  tty.on('data', (d: Buffer) => {
    screen += d;
  });
  (tty as unknown as { isTTY: boolean }).isTTY = true;
  const t = new StatsHandler();
  (t as unknown as { stream: NodeJS.WriteStream }).stream = tty;
  t.startJob(ctx('W0_1_J0', 0));
  t.endJob({ ...ctx('W0_1_J0', 0), OUTCOME: { jobName: 'W0_1_J0', score: 0.7, status: 'FINISHED', recommendation: { id: 0, values: {} } } });
  t.shutdown({ ...ctx('W0_1_J0', 0) });
  assert.match(screen, /running\s+worker\s+epoch/);
  assert.match(screen, /\x1b\[3A\x1b\[J/, 'the 3-line block (header, table head, one job) is redrawn in place');
});
