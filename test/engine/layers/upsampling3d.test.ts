import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { upsampleNearest3d, upsampleTrilinear3d, UpSampling3D } from '../../../src/engine/layers/upsampling3d.js';
import { Rng } from '../../../src/util/random.js';
import { maxGradError, randTensor } from '../../helpers/finite-diff.js';
import { useTestBackend } from '../../helpers/test-backend.js';

await useTestBackend();

test('nearest upsampling repeats each voxel per axis factor', () => {
  const x = tf.tensor5d([1, 2, 3, 4, 5, 6], [1, 1, 2, 3, 1]);
  const y = upsampleNearest3d(x, [2, 1, 2]);
  assert.deepEqual(y.shape, [1, 2, 2, 6, 1]);
  assert.deepEqual(Array.from(y.dataSync()), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
});

test('trilinear upsampling follows PyTorch align_corners=False', () => {
  // torch.nn.functional.interpolate(tensor([0, 1, 3]), scale_factor=2, mode='linear') = [0, .25, .75, 1.5, 2.5, 3]
  const x = tf.tensor5d([0, 1, 3], [1, 3, 1, 1, 1]);
  const y = upsampleTrilinear3d(x, [2, 1, 1]);
  const got = Array.from(y.dataSync());
  [0, 0.25, 0.75, 1.5, 2.5, 3].forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-6, `${i}: ${got[i]} vs ${v}`));
});

test('upsampling gradients match finite differences', () => {
  const rng = new Rng(11);
  const x = randTensor([2, 2, 3, 2, 3], rng);
  assert.ok(maxGradError((a) => upsampleNearest3d(a as tf.Tensor5D, [2, 3, 1]), [x], rng, 0.5) < 1e-3);
  assert.ok(maxGradError((a) => upsampleTrilinear3d(a as tf.Tensor5D, 2), [x], rng, 0.5) < 1e-3);
});

test('UpSampling3D layer works in a LayersModel and round-trips its config', () => {
  const inp = tf.input({ shape: [2, 2, 2, 1] });
  const out = new UpSampling3D({ size: [1, 2, 2] }).apply(inp) as tf.SymbolicTensor;
  const model = tf.model({ inputs: inp, outputs: out });
  assert.deepEqual(model.outputs[0].shape, [null, 2, 4, 4, 1]);
  const y = model.predict(tf.ones([1, 2, 2, 2, 1])) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 2, 4, 4, 1]);
  const json = model.toJSON(undefined, false) as { config: { layers: { class_name: string; config: { size: number[] } }[] } };
  const layer = json.config.layers.find((l) => l.class_name === 'UpSampling3D');
  assert.deepEqual(layer?.config.size, [1, 2, 2]);
  assert.throws(() => new UpSampling3D({ size: [2, 0, 1] }), /positive integer/);
});
