import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ensureGradients } from '../../../src/engine/gradients/index.js';
import { Rng } from '../../../src/util/random.js';
import { maxGradError, randTensor } from '../../helpers/finite-diff.js';
import { useTestBackend } from '../../helpers/test-backend.js';

await useTestBackend();
ensureGradients();

for (const [name, inShape, filt, stride, pad, outShape] of [
  ['stride 2 same', [1, 2, 3, 2, 3], [3, 3, 3, 2, 3], 2, 'same', [1, 4, 6, 4, 2]],
  ['stride 1 valid, batch 2', [2, 3, 2, 3, 2], [2, 2, 2, 3, 2], 1, 'valid', [2, 4, 3, 4, 3]],
  ['stride 2 valid odd', [1, 2, 2, 3, 1], [3, 3, 3, 2, 1], 2, 'valid', [1, 5, 5, 7, 2]],
] as const) {
  test(`conv3dTranspose gradient matches finite differences (${name})`, () => {
    const rng = new Rng(7);
    const x = randTensor([...inShape], rng);
    const w = randTensor([...filt], rng);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, [...outShape] as [number, number, number, number, number], stride, pad);
    const err = maxGradError(f, [x, w], rng, 0.5, 16);
    assert.ok(err < 1e-3, `relative error ${err}`);
  });
}

test('conv3dTranspose trains: its loss decreases under SGD', () => {
  const rng = new Rng(3);
  const x = randTensor([1, 2, 2, 2, 2], rng);
  const target = randTensor([1, 4, 4, 4, 1], rng);
  const w = tf.variable(randTensor([3, 3, 3, 1, 2], rng, 0.1));
  const opt = tf.train.sgd(2);
  const lossOf = () => tf.losses.meanSquaredError(target, tf.conv3dTranspose(x as tf.Tensor5D, w as tf.Tensor5D, [1, 4, 4, 4, 1], 2, 'same')) as tf.Scalar;
  const first = lossOf().dataSync()[0];
  for (let i = 0; i < 30; i++) opt.minimize(lossOf);
  assert.ok(lossOf().dataSync()[0] < first * 0.9);
});
