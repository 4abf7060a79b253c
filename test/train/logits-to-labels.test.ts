// The evaluator's labels from logits equal tf.argMax over the channel axis (first maximum on
// ties) and logit > 0 for one channel, on the test backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { logitsToLabels } from '../../src/train/logits-to-labels.js';
import { Rng } from '../../src/util/random.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();

function logits(shape: number[], seed: number, ties: boolean): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // with ties: values from {-1, 0, 1} so that equal maxima are common
  const v = Float32Array.from({ length: n }, () => (ties ? Math.floor(rng.random() * 3) - 1 : rng.normal(0, 2)));
  return tf.tensor(v, shape);
}

for (const k of [2, 3, 5]) {
  for (const ties of [false, true]) {
    test(`argmax over ${k} channels${ties ? ' with ties' : ''} equals tf.argMax`, async () => {
      const x = logits([1, 7, 6, 5, k], 10 * k + (ties ? 1 : 0), ties);
      const ref = tf.argMax(x, -1);
      const { labels, shape } = await logitsToLabels(x);
      assert.deepEqual(shape, [7, 6, 5]);
      assert.deepEqual(Array.from(labels), Array.from(await ref.data()));
      tf.dispose([x, ref]);
    });
  }
}

test('one channel: logit > 0 is class 1 (sigmoid > 0.5), 0 and NaN are class 0', async () => {
  const x = tf.tensor([-1, 0, 1e-7, 3, NaN, -0.5], [1, 1, 2, 3, 1]);
  const { labels, shape } = await logitsToLabels(x);
  assert.deepEqual(shape, [1, 2, 3]);
  assert.deepEqual(Array.from(labels), [0, 0, 1, 1, 0, 0]);
  x.dispose();
});
