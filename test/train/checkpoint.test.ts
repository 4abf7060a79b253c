import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fs, { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, type PathLike } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, resolveCheckpointPath, saveCheckpoint } from '../../src/train/checkpoint.js';
import { assignWeights, snapshotWeights } from '../../src/train/network.js';
import { recoverDir } from '../../src/util/atomic-fs.js';
import { tinyNet } from './tiny-net.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'clara-ckpt-'));

test('a checkpoint round-trips weights, optimizer state and training state', async () => {
  const dir = join(tmp(), 'last');
  const net = tinyNet(3);
  const w = snapshotWeights(net);
  const opt = [{ name: 'x/m', tensor: tf.tensor1d([1, 2, 3]) }];
  await saveCheckpoint(dir, {
    weights: w,
    optimizer: opt,
    meta: { kind: 'last', epoch: 2 },
    state: { epoch: 2, totalEpochs: 5, globalStep: 6, bestKeyMetric: 0.5, bestKeyMetricEpoch: 2, rngSeed: 7 },
  });
  const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.equal(j.weightsManifest[0].paths[0], 'weights.bin');
  const ck = loadCheckpoint(dir);
  assert.deepEqual(ck.weightNames, ['conv/kernel', 'conv/bias']);
  assert.deepEqual(Array.from(await ck.weights['conv/kernel'].data()), Array.from(await w[0].tensor.data()));
  assert.equal(ck.state?.globalStep, 6);
  assert.deepEqual(Array.from(await ck.optimizer![0].tensor.data()), [1, 2, 3]);
  const other = tinyNet(99);
  assignWeights(other, ck.weights, ck.weightNames, ck.modelJson);
  assert.deepEqual(Array.from(await other.namedWeights()[0].variable.data()), Array.from(await w[0].tensor.data()));
});

test('a crash while writing a checkpoint leaves the previous one intact', async () => {
  const root = tmp();
  const dir = join(root, 'best');
  const net = tinyNet(4);
  await saveCheckpoint(dir, { weights: snapshotWeights(net), meta: { kind: 'best', epoch: 1 } });
  const before = readFileSync(join(dir, 'weights.bin'));
  net.namedWeights()[0].variable.assign(tf.onesLike(net.namedWeights()[0].variable));
  // the write stops where a crash would: new files on disk, the old folder not yet moved aside
  const rename = fs.renameSync;
  fs.renameSync = (src: PathLike, dst: PathLike) => {
    if (String(src) === dir) throw new Error('simulated crash');
    rename(src, dst);
  };
  syncBuiltinESMExports();
  try {
    await assert.rejects(saveCheckpoint(dir, { weights: snapshotWeights(net), meta: { kind: 'best', epoch: 2 } }), /simulated crash/);
  } finally {
    fs.renameSync = rename;
    syncBuiltinESMExports();
  }
  assert.deepEqual(readFileSync(join(dir, 'weights.bin')), before);
  assert.equal(loadCheckpoint(dir).meta.epoch, 1);
  // the half-written folder is removed by the next write's recovery
  assert.equal(recoverDir(dir), true);
  assert.deepEqual(
    readdirSync(root).filter((n) => n !== 'best'),
    [],
  );
});

test('a crash between the two renames is recovered from the .old folder', async () => {
  const root = tmp();
  const dir = join(root, 'best');
  await saveCheckpoint(dir, { weights: snapshotWeights(tinyNet(5)), meta: { kind: 'best', epoch: 3 } });
  // simulate: old folder moved aside, new one never renamed in
  const { renameSync } = await import('node:fs');
  renameSync(dir, join(root, '.best.old-123-x-0'));
  assert.equal(existsSync(dir), false);
  assert.equal(recoverDir(dir), true);
  assert.equal(loadCheckpoint(dir).meta.epoch, 3);
});

test('a truncated weights file is refused with the file named', async () => {
  const dir = join(tmp(), 'best');
  await saveCheckpoint(dir, { weights: snapshotWeights(tinyNet(6)), meta: { kind: 'best' } });
  writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(10));
  assert.throws(() => loadCheckpoint(dir), /model\.json.*truncated or mismatched/);
});

test("Clara's models/model.pt naming maps to models/best", () => {
  assert.match(resolveCheckpointPath('/x/models/model.pt'), /\/x\/models\/best\/model\.json$/);
  assert.match(resolveCheckpointPath('/x/models/model_final.pt'), /\/x\/models\/last\/model\.json$/);
});
