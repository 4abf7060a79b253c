// The native ClaraGroupNorm kernel through the models' norm layers: instance, group and batch
// norm (training) outputs, running statistics and gradients against the tensor-op path, each
// also with the following ReLU or PReLU (one alpha, or one per channel) folded in
// (unregistered: norm ops then tf.relu / tf.prelu).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { type FoldedAct, normLayer } from '../../../src/models/nn/norm.js';
import { ParamStore } from '../../../src/models/nn/params.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
});

const rng = new Rng(41);

// the folded activation: none, ReLU, PReLU with one alpha, PReLU with one alpha per channel
const ACTS = [undefined, 'relu', 'prelu', 'prelu per channel'] as const;
for (const [spec, act] of [
  { name: 'instance', args: {} },
  { name: 'instance', args: { affine: true } },
  { name: 'group', args: { num_groups: 2 } },
  { name: 'batch', args: {} },
].flatMap((sp) => ACTS.map((a) => [sp, a] as const))) {
  test(`${spec.name} norm ${JSON.stringify(spec.args)}${act ? ` + folded ${act}` : ''}: native output, statistics and gradients equal the tensor ops`, () => {
    const c = 6;
    const xv = randomArray(rng, 2 * 5 * 4 * 3 * c).map((v, i) => v * 3 + (i % c) - 2);
    const dyv = randomArray(rng, xv.length);
    const run = () => {
      const store = new ParamStore(3);
      const folded: FoldedAct | undefined = !act
        ? undefined
        : act === 'relu'
          ? { name: 'relu' }
          : { name: 'prelu', alpha: store.constant('a.weight', [act === 'prelu' ? 1 : c], 0.25) };
      const layer = normLayer(store, 'n', spec, c, folded)!;
      // non-trivial affine parameters
      for (const [, p] of store.params) p.assign(tf.tensor(randomArray(new Rng(9), p.size), p.shape));
      const x = tf.tensor5d(xv, [2, 5, 4, 3, c]),
        dy = tf.tensor5d(dyv, x.shape);
      const vars = store.trainable();
      const f = () => tf.sum(tf.mul(layer(x, true), dy)) as tf.Scalar;
      const { value, grads } = vars.length ? tf.variableGrads(f, vars) : { value: f(), grads: {} };
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer(xx as tf.Tensor5D, true), dy)))(x);
      const out = [value, dx, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
      const bufs = [...store.buffers.values()].filter((b) => b.size > 1).map((b) => Array.from(b.dataSync()));
      tf.dispose([x, dy, value, dx, ...Object.values(grads)]);
      store.dispose();
      return [...out, ...bufs];
    };
    registerNativeKernels();
    const c0 = nativeCallCounts.ClaraGroupNorm ?? 0,
      g0 = nativeCallCounts.ClaraGroupNormGrad ?? 0;
    const nat = run();
    assert.ok((nativeCallCounts.ClaraGroupNorm ?? 0) > c0 && (nativeCallCounts.ClaraGroupNormGrad ?? 0) > g0, 'the native norm and its gradient ran');
    unregisterNativeKernels();
    const ref = run();
    registerNativeKernels();
    assert.equal(nat.length, ref.length);
    nat.forEach((a, i) => assert.ok(relErr(a, ref[i]) < 1e-4, `output ${i}: rel err ${relErr(a, ref[i])}`));
  });
}
