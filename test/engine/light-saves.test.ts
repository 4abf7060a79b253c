// Light saves (src/engine/light-saves.ts): with the native kernels registered, the tensors kept
// for gradients are new handles on the same data, not Identity kernel calls; gradients are
// bit-identical to tfjs's own saves and no tensor or data buffer is left behind.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels } from '../../src/engine/native-kernels.js';
import { installLightSaves, uninstallLightSaves } from '../../src/engine/light-saves.js';
import { Rng } from '../../src/util/random.js';
import { randomArray } from '../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
  registerNativeKernels();
});

async function step(): Promise<{ grads: number[][]; identities: number; leaked: [number, number] }> {
  const w1 = tf.variable(tf.tensor5d(randomArray(new Rng(1), 27 * 2 * 4), [3, 3, 3, 2, 4]));
  const w2 = tf.variable(tf.tensor5d(randomArray(new Rng(2), 4 * 3), [1, 1, 1, 4, 3]));
  const x = tf.tensor5d(randomArray(new Rng(3), 2 * 5 * 6 * 4 * 2), [2, 5, 6, 4, 2]);
  const m0 = tf.memory();
  let grads: number[][] = [];
  const info = await tf.profile(() => {
    const { value, grads: g } = tf.variableGrads(() => {
      const h = tf.relu(tf.conv3d(x, w1, 1, 'same'));
      return tf.sum(tf.square(tf.softmax(tf.conv3d(h, w2, 1, 'same')))) as tf.Scalar;
    }, [w1, w2]);
    grads = [w1, w2].map((w) => Array.from(g[w.name].dataSync()));
    tf.dispose([value, ...Object.values(g)]);
  });
  const m1 = tf.memory();
  tf.dispose([w1, w2, x]);
  return {
    grads,
    identities: info.kernels.filter((k) => k.name === 'Identity').length,
    leaked: [m1.numTensors - m0.numTensors, m1.numDataBuffers - m0.numDataBuffers],
  };
}

test('saved tensors cost no Identity call; gradients equal tfjs own saves bit for bit; nothing leaks', async () => {
  const light = await step();
  uninstallLightSaves();
  let own;
  try {
    own = await step();
  } finally {
    installLightSaves();
  }
  assert.equal(light.identities, 0, 'no Identity kernel with light saves');
  assert.ok(own.identities >= 4, `tfjs's own saves clone through Identity (${own.identities})`);
  assert.deepEqual(light.grads, own.grads);
  assert.deepEqual(light.leaked, [0, 0]);
  assert.deepEqual(own.leaked, [0, 0]);
});
