import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobCkptDir, jobTrainStatsFile } from '../../src/jobs/paths.js';
import { keyMetricOf } from '../../src/jobs/key-metric.js';

function mmar(config: Record<string, unknown>, env?: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'clara-jobpaths-'));
  mkdirSync(join(root, 'config'));
  writeFileSync(join(root, 'config', 'config_train.json'), JSON.stringify(config));
  if (env) writeFileSync(join(root, 'config', 'environment.json'), JSON.stringify(env));
  return root;
}

test("a job's train_stats.json is in its MMAR_CKPT_DIR: environment.json over the config top level, models/ by default", () => {
  const a = mmar({ epochs: 1 });
  assert.equal(jobTrainStatsFile(a), join(a, 'models', 'train_stats.json'));
  const b = mmar({ MMAR_CKPT_DIR: 'ck_config' }, { MMAR_CKPT_DIR: 'ck_env' });
  assert.equal(jobCkptDir(b), join(b, 'ck_env'));
  const c = mmar({ MMAR_CKPT_DIR: 'ck_config' });
  assert.equal(jobCkptDir(c), join(c, 'ck_config'));
  const d = mmar({ MMAR_CKPT_DIR: '/abs/elsewhere' });
  assert.equal(jobCkptDir(d), '/abs/elsewhere');
  // A config that does not load (the job failed for that reason): the default.
  const e = mmar({});
  writeFileSync(join(e, 'config', 'config_train.json'), '{ broken');
  assert.equal(jobCkptDir(e), join(e, 'models'));
  for (const r of [a, b, c, d, e]) rmSync(r, { recursive: true, force: true });
});

test('keyMetricOf: the named metric, else the first val_*, else the first that is not the loss or lr', () => {
  assert.equal(keyMetricOf({ train_loss: 0.5, val_acc: 0.7, val_mean_dice: 0.8 }, 'val_mean_dice'), 0.8);
  assert.equal(keyMetricOf({ train_loss: 0.5, lr: 0.1, val_acc: 0.7 }, 'missing'), 0.7);
  assert.equal(keyMetricOf({ train_loss: 0.5, lr: 0.1, dice: 0.6 }), 0.6);
  assert.equal(keyMetricOf({ train_loss: 0.5, lr: 0.1 }), undefined);
});
