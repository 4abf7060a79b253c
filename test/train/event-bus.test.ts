import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJobEventMessage, type JobEvent } from '../../src/jobs/events.js';
import { EventBus } from '../../src/train/event-bus.js';

test('a child training process streams its events to the parent over IPC', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-ipc-'));
  const child = fork(new URL('./fixtures/tiny-train-child.ts', import.meta.url).pathname, [dir], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const events: JobEvent[] = [];
  child.on('message', (m) => {
    if (isJobEventMessage(m)) events.push(m.claraJobEvent);
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, err);
  const types = events.map((e) => e.type);
  assert.deepEqual(
    types.filter((t) => t !== 'iteration_end'),
    ['train_start', 'epoch_start', 'validation_end', 'epoch_end', 'epoch_start', 'validation_end', 'epoch_end', 'train_end'],
  );
  assert.equal(types.filter((t) => t === 'iteration_end').length, 4);
  const end = events.filter((e) => e.type === 'epoch_end');
  assert.ok(typeof end[1].metrics?.train_loss === 'number' && typeof end[1].metrics?.val_mean_dice === 'number');
});

test('a handler that throws is switched off with one warning and training events go on', async () => {
  const warnings: string[] = [];
  const bus = new EventBus(undefined, (m) => warnings.push(m));
  let good = 0;
  bus.add({
    onJobEvent: () => {
      throw new Error('boom');
    },
  });
  bus.add({
    onJobEvent: () => {
      good++;
    },
  });
  await bus.emit('train_start');
  await bus.emit('epoch_start', { epoch: 1 });
  assert.equal(good, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /boom/);
});
