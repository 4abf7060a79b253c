// Adam's multi-tensor in-place update (src/engine/kernels/adam-update.ts adamInPlace): from the
// second step on, parameters whose p, m and v only their variables can see are updated in place
// in one native call; the values follow the tensor-op path; and an array a user holds (through
// dataSync) or a tensor sharing the parameter's data (clone) never changes under them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { adamFactory, adamWFactory } from '../../../src/optimizers/register.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
  registerNativeKernels();
});

const ctx = { file: 'config_train.json', path: 'train.optimizer' };
// one parameter over the pool's size threshold and two small ones (bias-like)
const shapes: Record<string, number[]> = { w: [3, 3, 3, 16, 16], b: [16], s: [2, 5] };

function params(): Map<string, tf.Variable> {
  return new Map(Object.entries(shapes).map(([k, shape], i) => [k, tf.variable(tf.tensor(randomArray(new Rng(1 + i), tf.util.sizeFromShape(shape)), shape))]));
}
function grads(step: number): Map<string, tf.Tensor> {
  return new Map(Object.entries(shapes).map(([k, shape], i) => [k, tf.tensor(randomArray(new Rng(100 + 10 * step + i), tf.util.sizeFromShape(shape)), shape)]));
}

test('Adam / AdamW update in place from the second step, in one call, and follow the tensor-op path', () => {
  for (const [make, args] of [
    [adamFactory, { lr: 0.01 }],
    [adamFactory, { lr: 0.01, weight_decay: 0.05 }],
    [adamWFactory, { lr: 0.02 }],
  ] as const) {
    const dataIds: unknown[][] = [];
    let perParamCalls = 0;
    const run = () => {
      const opt = make(args, ctx);
      const ps = params();
      for (let s = 0; s < 6; s++) {
        const c0 = nativeCallCounts.ClaraAdamUpdate ?? 0;
        const g = grads(s);
        opt.applyGradients(ps, g);
        tf.dispose([...g.values()]);
        if (s >= 1) perParamCalls += (nativeCallCounts.ClaraAdamUpdate ?? 0) - c0;
        dataIds.push([...ps.values()].map((p) => p.dataId));
      }
      const out = [...ps.values()].map((p) => Array.from(p.dataSync()));
      opt.dispose();
      ps.forEach((p) => p.dispose());
      return out;
    };
    const [nat, ref] = nativeAndTfjs(() => {
      dataIds.length = 0;
      perParamCalls = 0;
      const r = run();
      return { r, ids: dataIds.slice(), calls: perParamCalls };
    });
    // native: from step 2 on no per-parameter kernel call, and the variables keep their data
    assert.equal(nat.calls, 0, 'steps 2..6 ran no per-parameter ClaraAdamUpdate');
    for (let s = 2; s < 6; s++) assert.deepEqual(nat.ids[s], nat.ids[1], `step ${s + 1} updated in place`);
    nat.r.forEach((a, i) => assert.ok(relErr(a, ref.r[i]) < 1e-6, `${JSON.stringify(args)} param ${i}: rel err ${relErr(a, ref.r[i])}`));
  }
});

test('an array read out through dataSync, or a clone of a parameter, keeps its values; the update goes on', () => {
  const opt = adamFactory({ lr: 0.05 }, ctx);
  const ps = params();
  for (let s = 0; s < 2; s++) opt.applyGradients(ps, grads(s)); // now updated in place
  const w = ps.get('w')!,
    b = ps.get('b')!;
  const held = w.dataSync(); // the user keeps this array
  const heldCopy = held.slice();
  const cloned = tf.clone(b); // shares b's data
  const clonedCopy = cloned.dataSync().slice();
  const before = { w: heldCopy, b: b.dataSync().slice() };
  opt.applyGradients(ps, grads(2));
  assert.deepEqual(held, heldCopy, 'the array dataSync returned did not change');
  assert.deepEqual(cloned.dataSync(), clonedCopy, 'the clone did not change');
  assert.ok(relErr(Array.from(w.dataSync()), Array.from(before.w)) > 1e-6, 'w was still updated');
  assert.ok(relErr(Array.from(b.dataSync()), Array.from(before.b)) > 1e-6, 'b was still updated');
  cloned.dispose();
  opt.dispose();
  ps.forEach((p) => p.dispose());
});
