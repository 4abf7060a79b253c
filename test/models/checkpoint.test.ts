import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unetFactory, buildModelFromSpec } from '../../src/models/factories.js';
import { loadCheckpoint, readCheckpointManifest, saveCheckpoint } from '../../src/models/checkpoint.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
const ctx = { file: 'config_train.json', path: 'train.model' };
const args = { dimensions: 3, in_channels: 1, out_channels: 2, channels: [2, 4], strides: [2], num_res_units: 1, norm: 'batch' };

test('a checkpoint round-trips weights and buffers and rebuilds the model from its spec', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  try {
    const a = unetFactory(args, ctx);
    const x = tf.randomNormal([1, 4, 4, 4, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
    a.apply(x, true); // updates batch-norm running stats
    await saveCheckpoint(a, dir, { epoch: 3 });
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
    const m = readCheckpointManifest(dir);
    assert.equal(m.meta?.epoch, 3);
    const b = buildModelFromSpec(m.model!);
    const before = b.apply(x, false).dataSync();
    loadCheckpoint(b, dir);
    const want = a.apply(x, false).dataSync(), got = b.apply(x, false).dataSync();
    assert.deepEqual(Array.from(got), Array.from(want));
    assert.notDeepEqual(Array.from(before), Array.from(want));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading a checkpoint of another architecture names the mismatching weights', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  try {
    await saveCheckpoint(unetFactory(args, ctx), dir);
    const other = unetFactory({ ...args, channels: [2, 4, 8], strides: [2, 2] }, ctx);
    assert.throws(() => loadCheckpoint(other, dir), /model\.json: weights do not match the model: missing \[model\.1\.submodule/);
    writeFileSync(join(dir, 'model.json'), '{bad');
    assert.throws(() => loadCheckpoint(other, dir), /model\.json: not valid JSON/);
    assert.ok(!existsSync(join(dir, 'nothing', 'model.json')));
    assert.throws(() => loadCheckpoint(other, join(dir, 'nothing')), /no checkpoint here/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a checkpoint carries the optimizer's state by parameter name", async () => {
  const { adamFactory } = await import('../../src/optimizers/register.js');
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  try {
    const m = unetFactory(args, ctx);
    const opt = adamFactory({ lr: 0.01 }, ctx);
    const x = tf.randomNormal([1, 4, 4, 4, 1], 0, 1, 'float32', 2) as tf.Tensor5D;
    opt.minimize(() => tf.mean(tf.square(m.apply(x, true))) as tf.Scalar, m.store.params);
    await saveCheckpoint(m, dir, {}, opt);
    const m2 = unetFactory(args, ctx);
    const opt2 = adamFactory({ lr: 0.01 }, ctx);
    loadCheckpoint(m2, dir, true, opt2);
    assert.equal(opt2.iterations, 1);
    const a = opt.getState().slots, b = opt2.getState().slots;
    assert.equal(b.size, a.size);
    for (const [k, t] of a) assert.deepEqual(Array.from(b.get(k)!.dataSync()), Array.from(t.dataSync()), k);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
