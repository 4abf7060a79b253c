// The native ClaraWindow3d kernel (crop + zero fill of NDHWC volumes): against the plain-TS
// reference for offsets inside, across and outside x on every axis, its gradient against the
// reference adjoint (the window at the negated offsets), and the convolution layers that use it
// (a transposed conv's crop + end padding, a strided conv's zero border) against the tensor-op
// path (Slice / PadV2) with the kernels unregistered.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { ensureGradients } from '../../../src/engine/gradients/index.js';
import { window3d } from '../../../src/engine/kernels/window3d.js';
import { conv3d, convTranspose3d } from '../../../src/models/nn/conv.js';
import { ParamStore } from '../../../src/models/nn/params.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';
import { window3dRef } from '../../references/datamove.js';

before(async () => {
  await tf.setBackend('cpu');
  ensureGradients();
  registerNativeKernels();
});

const rng = new Rng(43);

for (const [shape, begin, size] of [
  [
    [2, 5, 4, 6, 3],
    [1, 1, 1],
    [3, 2, 4],
  ], // a crop
  [
    [2, 5, 4, 6, 3],
    [1, 1, 1],
    [5, 4, 6],
  ], // crop + end padding (transposed conv)
  [
    [1, 3, 3, 3, 2],
    [-2, 0, -1],
    [6, 3, 5],
  ], // padding on both ends
  [
    [1, 3, 4, 2, 1],
    [4, -5, 3],
    [2, 2, 2],
  ], // entirely outside x: zeros
  [
    [2, 7, 3, 5, 4],
    [0, 0, 0],
    [0, 3, 5],
  ], // empty output
] as [number[], [number, number, number], [number, number, number]][]) {
  test(`window3d x [${shape}] begin [${begin}] size [${size}]: value and gradient equal the plain-TS reference`, () => {
    const xv = randomArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
    );
    const ys = [shape[0], ...size, shape[4]];
    const dyv = randomArray(
      rng,
      ys.reduce((a, b) => a * b, 1),
    );
    const x = tf.tensor5d(xv, shape as [number, number, number, number, number]),
      dy = tf.tensor(dyv, ys);
    const calls = nativeCallCounts.ClaraWindow3d ?? 0;
    const y = window3d(x, begin, size)!;
    assert.ok((nativeCallCounts.ClaraWindow3d ?? 0) > calls, 'the native kernel ran');
    assert.deepEqual(y.shape, ys);
    assert.deepEqual(Array.from(y.dataSync()), Array.from(window3dRef(xv, shape, begin, size)));
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(window3d(a as tf.Tensor5D, begin, size)!, dy)))(x);
    const back = window3dRef(
      dyv,
      ys,
      begin.map((v) => -v),
      shape.slice(1, 4),
    );
    assert.deepEqual(Array.from(g.dataSync()), Array.from(back));
    tf.dispose([x, dy, y, g]);
  });
}

test('window3d rejects a negative or fractional size in one line', () => {
  const x = tf.zeros([1, 2, 2, 2, 1]) as tf.Tensor5D;
  assert.throws(() => window3d(x, [0, 0, 0], [1, -1, 1]), /window3d: begin must be integers and size non-negative integers/);
  assert.throws(() => window3d(x, [0.5, 0, 0], [1, 1, 1]), /window3d/);
  x.dispose();
});

for (const [k, s, p, op] of [
  [3, 2, 1, 1], // MONAI UNet's up-sampling convolution
  [3, 1, 1, 0],
  [2, 2, 0, 0], // no crop, no padding: the window is not used
  [5, 2, 2, 1],
]) {
  test(`convTranspose3d k${k} s${s} p${p} op${op}: native window path equals the Slice / PadV2 path, value and gradients`, () => {
    const xv = randomArray(rng, 2 * 3 * 4 * 3 * 5);
    const run = () => {
      const store = new ParamStore(5);
      const layer = convTranspose3d(store, 'up', 5, 3, { kernel: k, stride: s, padding: p, outputPadding: op });
      const x = tf.tensor5d(xv, [2, 3, 4, 3, 5]);
      const vars = store.trainable();
      const y = layer(x, true);
      const dy = tf.tensor(randomArray(new Rng(3), y.size), y.shape);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer(x, true), dy)) as tf.Scalar, vars);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer(a as tf.Tensor5D, true), dy)))(x);
      const out = [y, value, dx, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
      tf.dispose([x, y, dy, value, dx, ...Object.values(grads)]);
      store.dispose();
      return out;
    };
    const calls = nativeCallCounts.ClaraWindow3d ?? 0;
    const nat = run();
    const used = (nativeCallCounts.ClaraWindow3d ?? 0) > calls;
    assert.equal(used, p > 0 || op > 0, 'the window runs exactly when there is a crop or an end padding');
    unregisterNativeKernels();
    const ref = run();
    registerNativeKernels();
    assert.equal(nat.length, ref.length);
    nat.forEach((a, i) => assert.ok(relErr(a, ref[i]) < 1e-5, `output ${i}: rel err ${relErr(a, ref[i])}`));
  });
}

for (const [k, s, p] of [
  [3, 2, 1], // MONAI UNet's down-sampling convolution
  [5, 2, 2],
  [3, 2, 0], // no padding: the window is not used
]) {
  test(`conv3d k${k} s${s} p${p}: native window padding equals the PadV2 path, value and gradients`, () => {
    const xv = randomArray(rng, 2 * 6 * 5 * 7 * 3);
    const run = () => {
      const store = new ParamStore(6);
      const layer = conv3d(store, 'down', 3, 4, { kernel: k, stride: s, padding: p });
      const x = tf.tensor5d(xv, [2, 6, 5, 7, 3]);
      const y = layer(x, true);
      const dy = tf.tensor(randomArray(new Rng(4), y.size), y.shape);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer(x, true), dy)) as tf.Scalar, store.trainable());
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer(a as tf.Tensor5D, true), dy)))(x);
      const out = [y, value, dx, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
      tf.dispose([x, y, dy, value, dx, ...Object.values(grads)]);
      store.dispose();
      return out;
    };
    const calls = nativeCallCounts.ClaraWindow3d ?? 0;
    const nat = run();
    assert.equal((nativeCallCounts.ClaraWindow3d ?? 0) > calls, p > 0, 'the window runs exactly when there is padding');
    unregisterNativeKernels();
    const ref = run();
    registerNativeKernels();
    nat.forEach((a, i) => assert.ok(relErr(a, ref[i]) < 1e-5, `output ${i}: rel err ${relErr(a, ref[i])}`));
  });
}
