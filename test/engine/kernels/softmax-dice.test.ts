// MONAI's DiceLoss with softmax on the test backend: on cpu-native the fused ClaraSoftmaxDice and
// its gradient run and give the tensor-op loss and logit gradient (tfjs's own kernels) for every
// option the fused path covers; on tfjs-node TensorFlow's ops run against the float64 reference.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { diceLoss, type DiceLossOptions } from '../../../src/losses/dice.js';
import { useTestBackend } from '../../helpers/test-backend.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { softmaxDiceGradRef, softmaxDiceRef } from '../../references/softmax-dice.js';
import { labelOneHotRef } from '../../references/label-onehot.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';

let backend = 'cpu';
before(async () => {
  backend = await useTestBackend();
  if (backend === 'cpu') registerNativeKernels();
});

const shape = [2, 6, 5, 4, 3];
const rng = new Rng(29);
const logits = randomArray(
  rng,
  shape.reduce((a, b) => a * b, 1),
).map((v) => 2 * v);
const labels = Float32Array.from({ length: logits.length / 3 }, () => Math.floor(rng.random() * 3));
const onehot = labelOneHotRef(labels, 3);

function lossAndGrad(o: DiceLossOptions, label: Float32Array, labelShape: number[]): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor(logits, shape),
      y = tf.tensor(label, labelShape);
    const loss = diceLoss(o);
    const { value, grad } = tf.valueAndGrad((a: tf.Tensor) => loss(a, y) as tf.Scalar)(x);
    return [Array.from(value.dataSync()), Array.from(grad.dataSync())];
  });
}

for (const o of [
  { softmax: true, toOnehotY: true, includeBackground: false },
  { softmax: true, toOnehotY: true },
  { softmax: true, includeBackground: false, weight: [0.3, 2] },
  { softmax: true, toOnehotY: true, reduction: 'sum', smoothNr: 0, smoothDr: 1e-6 },
] as DiceLossOptions[]) {
  test(`DiceLoss ${JSON.stringify(o)}: value and logit gradient`, () => {
    const label = o.toOnehotY ? labels : onehot,
      labelShape = o.toOnehotY ? [...shape.slice(0, -1), 1] : shape;
    if (backend === 'cpu') {
      const c0 = nativeCallCounts.ClaraSoftmaxDice ?? 0,
        g0 = nativeCallCounts.ClaraSoftmaxDiceGrad ?? 0;
      const [nat, ref] = nativeAndTfjs(() => lossAndGrad(o, label, labelShape));
      assert.ok((nativeCallCounts.ClaraSoftmaxDice ?? 0) > c0 && (nativeCallCounts.ClaraSoftmaxDiceGrad ?? 0) > g0, 'the fused kernels ran');
      assert.ok(relErr(nat[0], ref[0]) < 1e-5, `loss ${nat[0]} vs ${ref[0]}`);
      assert.ok(relErr(nat[1], ref[1]) < 1e-4, `grad rel err ${relErr(nat[1], ref[1])}`);
    } else {
      // the reference for the plain case: mean over (sample, class) of the terms
      if (o.weight || o.reduction === 'sum') return;
      const g = { n: 2, v: 120, c: 3, c0: o.includeBackground === false ? 1 : 0, smoothNr: 1e-5, smoothDr: 1e-5 };
      const f = softmaxDiceRef(g, logits, onehot);
      const dy = new Float64Array(f.length).fill(1 / f.length);
      const [v, dx] = lossAndGrad(o, label, labelShape);
      assert.ok(Math.abs(v[0] - f.reduce((a, b) => a + b, 0) / f.length) < 1e-5);
      assert.ok(relErr(dx, softmaxDiceGradRef(g, dy, logits, onehot)) < 1e-4);
    }
  });
}

test('DiceLoss options the fused kernel does not cover (squared_pred, jaccard, batch) keep the tensor ops', (t) => {
  if (backend !== 'cpu') return t.skip('cpu backend only');
  for (const o of [
    { softmax: true, toOnehotY: true, squaredPred: true },
    { softmax: true, toOnehotY: true, jaccard: true },
    { softmax: true, toOnehotY: true, batch: true },
  ] as DiceLossOptions[]) {
    const c0 = nativeCallCounts.ClaraSoftmaxDice ?? 0;
    lossAndGrad(o, labels, [...shape.slice(0, -1), 1]);
    assert.equal(nativeCallCounts.ClaraSoftmaxDice ?? 0, c0, JSON.stringify(o));
  }
});
