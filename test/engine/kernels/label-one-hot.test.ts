// The losses' to_onehot_y (losses/common.ts oneHot) on the test backend: on cpu-native the
// native ClaraLabelOneHot runs and gives tfjs's own oneHot(cast(round())) values exactly;
// on tfjs-node TensorFlow's ops run and give the same as the reference.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { oneHot } from '../../../src/losses/common.js';
import { useTestBackend } from '../../helpers/test-backend.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { labelOneHotRef } from '../../references/label-onehot.js';

let backend = 'cpu';
before(async () => {
  backend = await useTestBackend();
  if (backend === 'cpu') registerNativeKernels();
});

// NaN labels are left out where backends differ (tfjs's cast gives class 0, TensorFlow's an out-of-range index)
const finite = Float32Array.from({ length: 2 * 4 * 5 * 6 }, (_, i) => [0, 1, 2, 0.5, 1.5, 2.5, -1, 3.2][i % 8]);
const withNaN = finite.map((v, i) => (i % 7 === 3 ? NaN : v));

test('oneHot of a [2, 4, 5, 6, 1] label: one-hot [2, 4, 5, 6, 3] float32 with tfjs semantics', () => {
  const c0 = nativeCallCounts.ClaraLabelOneHot ?? 0;
  const out = tf.tidy(() => oneHot(tf.tensor5d(finite, [2, 4, 5, 6, 1]), 3));
  if (backend === 'cpu') assert.ok((nativeCallCounts.ClaraLabelOneHot ?? 0) > c0, 'the native kernel ran');
  assert.deepEqual(out.shape, [2, 4, 5, 6, 3]);
  assert.equal(out.dtype, 'float32');
  assert.deepEqual(Array.from(out.dataSync()), Array.from(labelOneHotRef(finite, 3)));
  out.dispose();
});

test('oneHot: the native kernel and tfjs own ops agree exactly, NaN labels included', (t) => {
  if (backend !== 'cpu') return t.skip('cpu backend only');
  const [nat, ref] = nativeAndTfjs(() => tf.tidy(() => Array.from(oneHot(tf.tensor5d(withNaN, [2, 4, 5, 6, 1]), 4).dataSync())));
  assert.deepEqual(nat, ref);
});
