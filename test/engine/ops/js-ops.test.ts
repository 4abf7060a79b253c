import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { concatChannels, crop5d, nearestUpsample, trilinearUpsample } from '../../../src/engine/ops/js-ops.js';
import { upsampleNearest3dOps, upsampleTrilinear3dOps } from '../../../src/engine/layers/upsampling3d.js';
import { Rng } from '../../../src/util/random.js';
import { maxGradError, randTensor } from '../../helpers/finite-diff.js';
import { useTestBackend } from '../../helpers/test-backend.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { nativeCallCounts } from '../../../src/engine/native-kernels.js';

const backend = await useTestBackend();
const same = (a: tf.Tensor, b: tf.Tensor, tol = 1e-6) => {
  assert.deepEqual(a.shape, b.shape);
  const x = a.dataSync(),
    y = b.dataSync();
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= tol, `[${i}] ${x[i]} vs ${y[i]}`);
};

test('crop5d and concatChannels equal tf.slice / tf.concat, and their gradients are exact', () => {
  const rng = new Rng(1);
  const x = randTensor([2, 5, 4, 6, 3], rng) as tf.Tensor5D;
  same(crop5d(x, [1, 0, 2], [3, 4, 3]), tf.slice(x, [0, 1, 0, 2, 0], [2, 3, 4, 3, 3]));
  const y = randTensor([2, 5, 4, 6, 2], rng) as tf.Tensor5D;
  same(concatChannels(x, y), tf.concat([x, y], 4));
  assert.ok(maxGradError((a) => crop5d(a as tf.Tensor5D, [1, 1, 0], [2, 3, 5]), [x], rng, 0.5) < 1e-3);
  assert.ok(maxGradError((a, b) => concatChannels(a as tf.Tensor5D, b as tf.Tensor5D), [x, y], rng, 0.5) < 1e-3);
  assert.throws(() => concatChannels(x, randTensor([2, 5, 4, 5, 2], rng) as tf.Tensor5D), /differ outside the channel axis/);
});

test('crop5d on cpu-native (native Slice, PadV2 gradient) equals the plain loops, value and gradient', (t) => {
  if (backend !== 'cpu') return t.skip('cpu backend only');
  const rng = new Rng(4);
  const xv = randTensor([2, 7, 6, 5, 3], rng),
    dy = randTensor([2, 5, 4, 5, 3], rng);
  const run = () =>
    tf.tidy(() => {
      const [v, g] = [
        crop5d(xv as tf.Tensor5D, [1, 2, 0], [5, 4, 5]),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(crop5d(a as tf.Tensor5D, [1, 2, 0], [5, 4, 5]), dy)))(xv),
      ];
      return [Array.from(v.dataSync()), Array.from(g.dataSync())];
    });
  const s0 = nativeCallCounts.Slice ?? 0,
    p0 = nativeCallCounts.PadV2 ?? 0;
  const [nat, loops] = nativeAndTfjs(run);
  assert.ok((nativeCallCounts.Slice ?? 0) > s0 && (nativeCallCounts.PadV2 ?? 0) > p0, 'native Slice and PadV2 ran');
  assert.deepEqual(nat, loops);
});

test('loop trilinear upsampling equals the tfjs-ops version; its gradient is the exact adjoint', () => {
  const rng = new Rng(2);
  const x = randTensor([2, 3, 4, 2, 3], rng) as tf.Tensor5D;
  for (const s of [
    [2, 2, 2],
    [3, 1, 2],
    [1, 4, 1],
  ] as [number, number, number][])
    same(trilinearUpsample(x, s), upsampleTrilinear3dOps(x, s), 1e-5);
  assert.ok(maxGradError((a) => trilinearUpsample(a as tf.Tensor5D, [2, 3, 2]), [x], rng, 0.5, 24) < 1e-3);
});

test('loop nearest upsampling equals the gather version; its gradient sums each block', () => {
  const rng = new Rng(3);
  const x = randTensor([2, 3, 2, 4, 3], rng) as tf.Tensor5D;
  for (const s of [
    [2, 2, 2],
    [3, 1, 2],
    [1, 1, 4],
  ] as [number, number, number][])
    same(nearestUpsample(x, s), upsampleNearest3dOps(x, s));
  assert.ok(maxGradError((a) => nearestUpsample(a as tf.Tensor5D, [2, 1, 3]), [x], rng, 0.5, 24) < 1e-3);
});
