// tfjs's Cast from int32 / bool to float32 keeps the integer array under the float32 dtype. The
// engine's native kernels and gradients must not take such a tensor for a Float32Array: each
// path below gives the same values as tfjs's own kernels (it crashed on ClaraReluGrad before).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels } from '../../../src/engine/native-kernels.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { oneHot } from '../../../src/losses/common.js';
import { normLayer } from '../../../src/models/nn/norm.js';
import { ParamStore } from '../../../src/models/nn/params.js';
import { nearestUpsample } from '../../../src/engine/ops/js-ops.js';

before(async () => {
  await tf.setBackend('cpu');
  registerNativeKernels();
});

const ints = () =>
  tf.cast(
    tf.tensor5d(
      Array.from({ length: 2 * 3 * 2 * 2 * 4 }, (_, i) => (i % 7) - 3),
      [2, 3, 2, 2, 4],
      'int32',
    ),
    'float32',
  ) as tf.Tensor5D;

test('the integer-backed float32 tensor of a Cast really is one (the premise)', () => {
  const x = ints();
  assert.ok(!((tf.backend() as unknown as { data: { get(id: unknown): { values: unknown } } }).data.get(x.dataId).values instanceof Float32Array));
  x.dispose();
});

test('relu, prelu, group norm, nearest upsampling, one-hot and their gradients on a Cast output equal tfjs', () => {
  const run = () =>
    tf.tidy(() => {
      const store = new ParamStore(1);
      const norm = normLayer(store, 'n', { name: 'instance', args: {} }, 4)!;
      const x = ints();
      const f = (a: tf.Tensor) =>
        tf.sum(
          tf.add(
            tf.add(tf.relu(a), tf.prelu(a, tf.scalar(0.2))),
            tf.add(tf.sum(norm(a as tf.Tensor5D, true)), tf.sum(nearestUpsample(a as tf.Tensor5D, [2, 1, 1]))),
          ),
        );
      const g = tf.grad(f)(x);
      const labels = tf.cast(tf.tensor5d([0, 1, 2, 1], [1, 2, 2, 1, 1], 'int32'), 'float32');
      const out = [f(x), g, oneHot(labels, 3)].map((t) => Array.from(t.dataSync()));
      store.dispose();
      return out;
    });
  const [nat, ref] = nativeAndTfjs(run);
  nat.forEach((v, i) => v.forEach((a, j) => assert.ok(Math.abs(a - ref[i][j]) < 1e-4, `output ${i}[${j}]: ${a} vs ${ref[i][j]}`)));
});
