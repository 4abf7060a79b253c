// tf.prelu and its gradients (x and alpha) on the test backend against the float64 reference
// (test/references/prelu.ts): on cpu-native the Prelu kernel and ClaraPreluGrad run natively,
// on tfjs-node TensorFlow's ops run. On cpu, shapes the native kernel does not cover fall back
// to tfjs's own kernel and gradient with the same results.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { useTestBackend } from '../../helpers/test-backend.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { preluGradRef, preluRef } from '../../references/prelu.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';

let backend = 'cpu';
before(async () => {
  backend = await useTestBackend();
  if (backend === 'cpu') registerNativeKernels();
});

/** y, dx, dalpha of sum(prelu(x, alpha) * dy). */
function run(xs: number[], xv: Float32Array, as: number[], av: Float32Array, dyv: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor(xv, xs),
      alpha = tf.tensor(av, as),
      dy = tf.tensor(dyv, xs);
    const y = tf.prelu(x, alpha);
    const [dx, da] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), dy)))([x, alpha]);
    return [y, dx, da].map((t) => t.dataSync() as Float32Array);
  });
}

for (const [xs, as] of [
  [[2, 5, 4, 3, 6], [6]],
  [[2, 5, 4, 3, 6], []],
  [
    [1, 3, 3, 3, 4],
    [1, 1, 1, 1, 4],
  ],
  [[33, 7], [7]],
] as [number[], number[]][]) {
  test(`prelu x [${xs}] alpha [${as}]: output and gradients equal the reference`, () => {
    const rng = new Rng(xs.length * 7 + as.length);
    const n = xs.reduce((a, b) => a * b, 1),
      c = xs[xs.length - 1];
    const xv = randomArray(rng, n),
      dyv = randomArray(rng, n),
      av = randomArray(
        rng,
        as.reduce((a, b) => a * b, 1),
      ).map((v) => 0.2 + 0.1 * v);
    const f0 = nativeCallCounts.Prelu ?? 0,
      g0 = nativeCallCounts.ClaraPreluGrad ?? 0;
    const [y, dx, da] = run(xs, xv, as, av, dyv);
    if (backend === 'cpu') assert.ok((nativeCallCounts.Prelu ?? 0) > f0 && (nativeCallCounts.ClaraPreluGrad ?? 0) > g0, 'the native kernels ran');
    const g = preluGradRef(dyv, xv, av, c);
    assert.ok(relErr(y, preluRef(xv, av, c)) < 1e-6, 'y');
    assert.ok(relErr(dx, g.dx) < 1e-6, 'dx');
    assert.ok(relErr(da, g.dalpha) < 1e-5, `dalpha ${relErr(da, g.dalpha)}`);
  });
}

test('prelu: the native kernel and tfjs own kernel agree, and a broadcast it does not cover falls back', (t) => {
  if (backend !== 'cpu') return t.skip('cpu backend only');
  const rng = new Rng(3);
  const xv = randomArray(rng, 2 * 3 * 4),
    dyv = randomArray(rng, xv.length);
  for (const [as, n] of [
    [[3, 1], 3], // per-row alpha: not a last-axis broadcast, tfjs's own
    [[4], 4],
  ] as [number[], number][]) {
    const av = randomArray(rng, n);
    const [nat, ref] = nativeAndTfjs(() => run([2, 3, 4], xv, as, av, dyv));
    nat.forEach((v, i) => assert.ok(relErr(v, ref[i]) < 1e-6, `alpha [${as}] output ${i}`));
  }
});
