import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobEventMetrics, startTrainTracking } from '../../src/tracking/train-run-logger.js';
import type { TrainStats } from '../../src/jobs/train-stats.js';

test('epoch events become metric points with step = epoch; other events none', () => {
  assert.deepEqual(jobEventMetrics({ type: 'epoch_end', epoch: 3, time: 5, metrics: { train_loss: 0.5, lr: 1e-4 } }), [
    { key: 'train_loss', value: 0.5, step: 3, timestamp: 5 },
    { key: 'lr', value: 1e-4, step: 3, timestamp: 5 },
  ]);
  assert.deepEqual(jobEventMetrics({ type: 'iteration_end', epoch: 3, iteration: 7, time: 5, metrics: { train_loss: 0.5 } }), []);
  assert.deepEqual(jobEventMetrics({ type: 'log', time: 5, message: 'x' }), []);
});

test('a single `train` run is logged the same way (mlruns default), stats filling what events missed', async () => {
  const mmar = mkdtempSync(join(tmpdir(), 'clara-train-run-'));
  mkdirSync(join(mmar, 'config'), { recursive: true });
  mkdirSync(join(mmar, 'models'), { recursive: true });
  writeFileSync(join(mmar, 'config', 'config_train.json'), '{"epochs": 2}');
  writeFileSync(join(mmar, 'models', 'model.ckpt'), Buffer.from([9, 8, 7]));
  const mlruns = join(mmar, 'mlruns');
  const { logger, close } = await startTrainTracking({ mmarRoot: mmar, runName: 'train', trackingUri: mlruns, env: {}, log: () => {}, params: { epochs: 2 } });
  logger.onEvent({ type: 'epoch_end', epoch: 1, time: 1000, metrics: { train_loss: 0.9 } });
  logger.onEvent({ type: 'epoch_end', epoch: 1, time: 1001, metrics: { train_loss: 0.9 } }); // repeated: once
  logger.onEvent({ type: 'validation_end', epoch: 1, time: 1002, metrics: { val_mean_dice: 0.4 } });
  const stats: TrainStats = {
    key_metric_name: 'val_mean_dice',
    best_key_metric: 0.6,
    best_key_metric_epoch: 2,
    epochs_completed: 2,
    total_epochs: 2,
    train_loss: [0.9, 0.7],
    val_metrics: [
      { epoch: 1, metrics: { val_mean_dice: 0.4 } },
      { epoch: 2, metrics: { val_mean_dice: 0.6 } },
    ],
    lr: [1e-4, 1e-4],
    epoch_time: [2, 2],
    samples_per_s: [10, 11],
    backend: 'tfjs',
    amp: 'off',
    status: 'finished',
  };
  assert.equal(await close(stats, 'FINISHED'), true);
  assert.equal(readdirSync(mlruns).filter((d) => d !== '.trash').length, 1, 'one experiment, named for the MMAR');
  const exp = join(mlruns, readdirSync(mlruns)[0]);
  assert.match(readFileSync(join(exp, 'meta.yaml'), 'utf8'), new RegExp(`name: "${mmar.split('/').pop()}"`));
  const runDir = join(exp, readdirSync(exp).find((d) => d !== 'meta.yaml') as string);
  const lines = (k: string) =>
    readFileSync(join(runDir, 'metrics', k), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').slice(1).map(Number));
  assert.deepEqual(lines('train_loss'), [
    [0.9, 1],
    [0.7, 2],
  ]);
  assert.deepEqual(lines('val_mean_dice'), [
    [0.4, 1],
    [0.6, 2],
  ]);
  assert.deepEqual(lines('best_val_mean_dice'), [[0.6, 2]]);
  assert.deepEqual(lines('score'), [[0.6, 2]]);
  assert.equal(readFileSync(join(runDir, 'params', 'epochs'), 'utf8'), '2');
  assert.equal(readFileSync(join(runDir, 'tags', 'clara.backend'), 'utf8'), 'tfjs');
  assert.match(readFileSync(join(runDir, 'meta.yaml'), 'utf8'), /^status: 3$/m);
  assert.deepEqual([...readFileSync(join(runDir, 'artifacts', 'models', 'model.ckpt'))], [9, 8, 7]);
  assert.ok(existsSync(join(runDir, 'artifacts', 'config', 'config_train.json')));
  assert.ok(existsSync(join(mmar, 'tracking.jsonl')));
});
