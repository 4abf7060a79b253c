// PReLU on cpu-native (the native Prelu kernel and its one-pass gradient, engine/kernels/prelu.ts) against tfjs's
// Prelu: outputs and gradients for x and alpha, scalar and per-channel alpha.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { actLayer } from '../../src/models/nn/act.js';
import { ParamStore } from '../../src/models/nn/params.js';
import { nativeAndTfjs } from '../helpers/native-vs-tfjs.js';
import { Rng } from '../../src/util/random.js';
import { randomArray, relErr } from '../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
});

for (const n of [1, 4]) {
  test(`PReLU (num_parameters ${n}) on the native kernels equals tfjs's Prelu, with gradients`, () => {
    const xv = randomArray(new Rng(3), 2 * 3 * 4 * 5 * 4),
      dyv = randomArray(new Rng(4), xv.length);
    const run = () => {
      const store = new ParamStore(1);
      const act = actLayer(store, 'a', { name: 'prelu', args: { num_parameters: n, init: 0.2 } })!;
      const [a] = store.trainable();
      a.assign(tf.tensor(randomArray(new Rng(5), n), a.shape));
      const x = tf.tensor5d(xv, [2, 3, 4, 5, 4]),
        dy = tf.tensor5d(dyv, x.shape);
      const f = (xx: tf.Tensor) => tf.sum(tf.mul(act(xx as tf.Tensor5D, true), dy)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(() => f(x), [a]);
      const dx = tf.grad(f)(x);
      const out = [value, dx, grads[a.name]].map((t) => Array.from(t.dataSync()));
      tf.dispose([x, dy, value, dx, grads[a.name]]);
      store.dispose();
      return out;
    };
    const [nat, ref] = nativeAndTfjs(run);
    nat.forEach((v, i) => assert.ok(relErr(v, ref[i]) < 1e-6, `output ${i}: rel err ${relErr(v, ref[i])}`));
  });
}
