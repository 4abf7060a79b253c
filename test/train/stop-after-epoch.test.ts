// A rung of successive halving: training stops after an epoch of a longer lr schedule and
// --resume continues it; the lr sequence, losses and weights equal one uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../../src/train/trainer.js';
import { Evaluator, meanDiceMetric } from '../../src/train/evaluator.js';
import { EventBus } from '../../src/train/event-bus.js';
import { ProgressLine } from '../../src/train/progress-line.js';
import type { JobEvent } from '../../src/jobs/events.js';
import type { LrSchedule } from '../../src/train/components.js';
import { ceLoss, tinyCases, tinyData, tinyNet } from './tiny-net.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();

/** Linear decay per iteration over the whole budget: any change of length or step shows. */
const linear: LrSchedule = { lr: (_e, step, spe, total) => 0.05 * (1 - step / (spe * total)), perIteration: true };

function trainer(dir: string, extra: Partial<ConstructorParameters<typeof Trainer>[0]> = {}) {
  const net = tinyNet(11);
  const events: JobEvent[] = [];
  const bus = new EventBus(undefined);
  bus.add({
    onJobEvent: (e) => {
      events.push(e);
    },
  });
  const evaluator = new Evaluator({ net, inferer: (x, f) => f(x), cases: tinyCases(5), metrics: [meanDiceMetric()] });
  const t = new Trainer({
    net,
    loss: ceLoss,
    optimizer: tf.train.adam(0.05),
    data: tinyData(1),
    epochs: 4,
    valInterval: 3,
    evaluator,
    baseLr: 0.05,
    lrSchedule: linear,
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
  return { t, events, net };
}

test('stopAfterEpoch stops a longer schedule validated and checkpointed; resume continues it exactly', async (ctx) => {
  const a = mkdtempSync(join(tmpdir(), 'clara-rung-a-'));
  const b = mkdtempSync(join(tmpdir(), 'clara-rung-b-'));
  ctx.after(() => {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  });
  const full = trainer(a);
  const rf = await full.t.run();

  const rung = trainer(b, { stopAfterEpoch: 2 });
  const r1 = await rung.t.run();
  assert.equal(r1.stats.status, 'finished');
  assert.equal(r1.stats.epochs_completed, 2);
  assert.deepEqual(
    r1.stats.val_metrics.map((v) => v.epoch),
    [2],
    'validated at the rung though val_interval is 3',
  );
  assert.ok(r1.stats.lr[1] > rf.stats.lr[3], 'the lr did not decay to its end at the rung');

  const rest = trainer(b, { resumeFrom: join(b, 'last') });
  const r2 = await rest.t.run();
  const start = rest.events.find((e) => e.type === 'train_start');
  assert.equal((start?.info as { start_epoch?: number } | undefined)?.start_epoch, 2, 'continued from its checkpoint epoch');
  assert.deepEqual(
    rest.events.filter((e) => e.type === 'epoch_end').map((e) => e.epoch),
    [3, 4],
  );
  assert.equal(r2.stats.epochs_completed, 4);
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(rf.stats.lr[i] - r2.stats.lr[i]) < 1e-9, `lr at epoch ${i + 1}: ${rf.stats.lr[i]} vs ${r2.stats.lr[i]}`);
    assert.ok(
      Math.abs(rf.stats.train_loss[i] - r2.stats.train_loss[i]) < 1e-5,
      `loss at epoch ${i + 1}: ${rf.stats.train_loss[i]} vs ${r2.stats.train_loss[i]}`,
    );
  }
  const wa = await full.net.namedWeights()[0].variable.data();
  const wb = await rest.net.namedWeights()[0].variable.data();
  for (let i = 0; i < wa.length; i++) assert.ok(Math.abs(wa[i] - wb[i]) < 1e-5);
});
