// NaN training is a failure, never a success (#19, 10): a non-finite loss stops the job as
// failed, no checkpoint is written with non-finite weights, and the CLI exits non-zero so
// that AutoML scores the job -1000000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../../src/train/trainer.js';
import { Evaluator, meanDiceMetric } from '../../src/train/evaluator.js';
import { EventBus } from '../../src/train/event-bus.js';
import { ProgressLine } from '../../src/train/progress-line.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';
import { ceLoss, tinyCases, tinyData, tinyNet } from './tiny-net.js';

test('a NaN loss stops training as failed; no best checkpoint, stats say why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-nan-'));
  const net = tinyNet(11);
  const logs: string[] = [];
  const nanLoss = (p: tf.Tensor, l: tf.Tensor) => tf.mul(ceLoss(p, l), NaN) as tf.Scalar;
  const trainer = new Trainer({
    net,
    loss: nanLoss,
    optimizer: tf.train.adam(0.05),
    data: tinyData(1),
    epochs: 3,
    valInterval: 1,
    evaluator: new Evaluator({ net, inferer: (x, f) => f(x), cases: tinyCases(5), metrics: [meanDiceMetric()] }),
    baseLr: 0.05,
    ckptDir: dir,
    keyMetricName: 'val_mean_dice',
    seed: 1,
    backend: 'cpu',
    amp: 'off',
    bus: new EventBus(undefined),
    progress: new ProgressLine(process.stderr, true),
    log: (m) => logs.push(m),
  });
  await assert.rejects(trainer.run(), /epoch 1, iteration 1: the training loss is NaN; training stopped as failed/);
  const stats = JSON.parse(readFileSync(join(dir, 'train_stats.json'), 'utf8')) as TrainStats;
  assert.equal(stats.status, 'failed');
  assert.match(String(stats.error), /training loss is NaN/);
  assert.equal(stats.best_key_metric, null);
  assert.ok(!existsSync(join(dir, 'best', 'model.json')));
});

test('no checkpoint is ever written with a non-finite weight', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clara-nan-'));
  const good = tf.tensor1d([1, 2, 3]);
  const bad = tf.tensor1d([1, Infinity, 3]);
  await saveCheckpoint(join(dir, 'ok'), { weights: [{ name: 'w', tensor: good }], meta: {} } as never);
  await assert.rejects(
    saveCheckpoint(join(dir, 'best'), { weights: [{ name: 'conv/kernel', tensor: bad }], meta: {} } as never),
    /weight 'conv\/kernel' holds Infinity \(element 1\): no checkpoint is written/,
  );
  assert.ok(existsSync(join(dir, 'ok', 'model.json')));
  assert.ok(!existsSync(join(dir, 'best')));
  tf.dispose([good, bad]);
});
