import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../../src/train/trainer.js';
import { Evaluator, meanDiceMetric } from '../../src/train/evaluator.js';
import { diceOfClass } from '../../src/metrics/dice.js';
import { EventBus } from '../../src/train/event-bus.js';
import { ProgressLine } from '../../src/train/progress-line.js';
import type { JobEvent } from '../../src/jobs/events.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { ceLoss, tinyCases, tinyData, tinyNet } from './tiny-net.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();

function setup(dir: string, epochs: number, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) {
  const net = tinyNet(11);
  const events: JobEvent[] = [];
  const bus = new EventBus(undefined);
  bus.add({
    onJobEvent: (e) => {
      events.push(e);
    },
  });
  const evaluator = new Evaluator({ net, inferer: (x, f) => f(x), cases: tinyCases(5), metrics: [meanDiceMetric()] });
  const trainer = new Trainer({
    net,
    loss: ceLoss,
    optimizer: tf.train.adam(0.05),
    data: tinyData(1),
    epochs,
    valInterval: 2,
    evaluator,
    baseLr: 0.05,
    ckptDir: dir,
    keyMetricName: 'val_mean_dice',
    seed: 1,
    backend: 'cpu',
    amp: 'off',
    bus,
    progress: new ProgressLine(process.stderr, true),
    log: () => {},
    ...extra,
  });
  return { trainer, events, net };
}

test('Dice of a class; NaN when the label lacks it', () => {
  assert.equal(diceOfClass(Int32Array.from([1, 1, 0, 0]), Int32Array.from([1, 0, 0, 0]), 1), 2 / 3);
  assert.ok(Number.isNaN(diceOfClass(Int32Array.from([1, 0]), Int32Array.from([0, 0]), 1)));
});

test('the trainer learns, validates on schedule and at the end, writes stats, checkpoints and events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-trainer-'));
  const { trainer, events } = setup(dir, 3);
  const r = await trainer.run();
  const stats = JSON.parse(readFileSync(join(dir, 'train_stats.json'), 'utf8')) as TrainStats;
  assert.equal(stats.status, 'finished');
  assert.equal(stats.epochs_completed, 3);
  assert.equal(stats.train_loss.length, 3);
  assert.ok(stats.train_loss[2] < stats.train_loss[0], `loss went down: ${stats.train_loss}`);
  assert.deepEqual(
    stats.val_metrics.map((v) => v.epoch),
    [2, 3],
  );
  assert.ok(stats.best_key_metric! > 0.5, `dice ${stats.best_key_metric}`);
  assert.ok(r.bestCheckpoint && r.lastCheckpoint);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'train_start');
  assert.equal(types[types.length - 1], 'train_end');
  assert.equal(types.filter((t) => t === 'epoch_end').length, 3);
  assert.equal(types.filter((t) => t === 'iteration_end').length, 9);
  assert.equal(types.filter((t) => t === 'validation_end').length, 2);
  const last = JSON.parse(readFileSync(join(dir, 'last', 'model.json'), 'utf8'));
  assert.equal(last.clara.state.epoch, 3);
});

test('no tensors leak from one epoch to the next (training and validation)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-leak-'));
  const { trainer, events } = setup(dir, 4);
  const counts: number[] = [];
  (trainer as unknown as { o: { bus: EventBus } }).o.bus.add({
    onJobEvent: (e) => {
      if (e.type === 'epoch_end') counts.push(tf.memory().numTensors);
    },
  });
  await trainer.run();
  assert.equal(events.filter((e) => e.type === 'epoch_end').length, 4);
  assert.equal(counts[3], counts[1], `tensors per epoch end: ${counts}`);
});

test('resume continues from the last checkpoint and gives the same result as one run', async () => {
  const a = mkdtempSync(join(tmpdir(), 'clara-resume-a-'));
  const b = mkdtempSync(join(tmpdir(), 'clara-resume-b-'));
  const full = setup(a, 4);
  await full.trainer.run();
  const first = setup(b, 2);
  await first.trainer.run();
  const second = setup(b, 4, { resumeFrom: join(b, 'last') });
  const r = await second.trainer.run();
  assert.equal(r.stats.epochs_completed, 4);
  assert.equal(r.stats.train_loss.length, 4);
  const sa = JSON.parse(readFileSync(join(a, 'train_stats.json'), 'utf8')) as TrainStats;
  for (let i = 0; i < 4; i++)
    assert.ok(Math.abs(sa.train_loss[i] - r.stats.train_loss[i]) < 1e-5, `epoch ${i + 1}: ${sa.train_loss[i]} vs ${r.stats.train_loss[i]}`);
  const wa = await full.net.namedWeights()[0].variable.data();
  const wb = await second.net.namedWeights()[0].variable.data();
  for (let i = 0; i < wa.length; i++) assert.ok(Math.abs(wa[i] - wb[i]) < 1e-5);
});

test('a failing epoch marks train_stats failed with the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-fail-'));
  const { trainer } = setup(dir, 2, {
    data: {
      async *epoch() {
        /* nothing */
      },
    },
  });
  await assert.rejects(trainer.run(), /no training batch/);
  const stats = JSON.parse(readFileSync(join(dir, 'train_stats.json'), 'utf8')) as TrainStats;
  assert.equal(stats.status, 'failed');
  assert.match(stats.error!, /no training batch/);
});

test('the training loop gives the event loop a turn every step (IPC, signals, worker messages)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-yield-'));
  const { trainer } = setup(dir, 1);
  // tinyData's batches come from memory: without a yield the loop would only await microtasks
  // and a macrotask queued at the first step would run only after the epoch.
  let firedAt = -1,
    steps = 0;
  (trainer as unknown as { o: { bus: EventBus } }).o.bus.add({
    onJobEvent: (e) => {
      if (e.type !== 'iteration_end') return;
      steps++;
      if (steps === 1)
        setImmediate(() => {
          firedAt = steps;
        });
    },
  });
  await trainer.run();
  assert.ok(steps >= 3, `steps ${steps}`);
  assert.equal(firedAt, 1, `a setImmediate queued at step 1 ran at step ${firedAt}`);
});
