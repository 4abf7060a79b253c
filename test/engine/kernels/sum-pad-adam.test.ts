// The engine's Sum, PadV2 and ClaraAdamUpdate kernels against tfjs's own (pure-JS cpu kernels,
// and the optimizer's tensor-op path), and Adam with the native kernel on torch's trajectory.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { adamFactory, adamWFactory } from '../../../src/optimizers/register.js';
import { nativeAndTfjs } from '../../helpers/native-vs-tfjs.js';
import { Rng } from '../../../src/util/random.js';
import { randomArray, relErr } from '../../native/conv-geom.js';
import { readFileSync } from 'node:fs';

before(async () => {
  await tf.setBackend('cpu');
});

const both = nativeAndTfjs;

const rng = new Rng(23);
const t = (shape: number[]) =>
  tf.tensor(
    randomArray(
      rng,
      shape.reduce((a, b) => a * b, 1),
    ),
    shape,
  );

test('Sum over adjacent axes equals tfjs (bias / norm / Dice / total patterns, keepDims); other patterns fall back', () => {
  const x = t([2, 6, 5, 7, 3]),
    y = t([3, 1, 4000]);
  const c0 = nativeCallCounts.Sum ?? 0;
  const [nat, ref] = both(() =>
    tf.tidy(() =>
      [
        tf.sum(x, [0, 1, 2, 3]),
        tf.sum(x, [1, 2, 3]),
        tf.sum(x, -1),
        tf.sum(x),
        tf.sum(x, [1, 2, 3], true),
        tf.sum(y, 2),
        tf.sum(y, [0, 1]),
        tf.sum(x, [0, 2]),
        tf.sum(tf.tensor([1, 2, 3], [3], 'int32')),
      ].map((r) => Array.from(r.dataSync())),
    ),
  );
  nat.forEach((a, i) => assert.ok(relErr(a, ref[i]) < 1e-5, `case ${i}: rel err ${relErr(a, ref[i])}`));
  assert.ok((nativeCallCounts.Sum ?? 0) >= c0 + 7, 'the adjacent-axes sums ran natively');
  x.dispose();
  y.dispose();
});

test('PadV2 equals tfjs (float32 and int32, zero and non-zero constants, rank 1 to 5)', () => {
  const x = t([2, 3, 4, 5, 2]);
  const xi = tf.tensor(
    Array.from({ length: 12 }, (_, i) => i),
    [3, 4],
    'int32',
  );
  const c0 = nativeCallCounts.PadV2 ?? 0;
  const [nat, ref] = both(() =>
    tf.tidy(() =>
      [
        tf.pad(x, [
          [0, 0],
          [1, 1],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        tf.pad(
          x,
          [
            [1, 0],
            [0, 2],
            [3, 0],
            [0, 0],
            [1, 1],
          ],
          -2.5,
        ),
        tf.pad(
          xi,
          [
            [2, 1],
            [0, 3],
          ],
          7,
        ),
        tf.pad(tf.tensor1d([1, 2]), [[3, 0]]),
      ].map((r) => Array.from(r.dataSync())),
    ),
  );
  assert.deepEqual(nat, ref);
  assert.ok((nativeCallCounts.PadV2 ?? 0) >= c0 + 4);
  tf.dispose([x, xi]);
});

test('Adam / AdamW through the native update follow the tensor-op path step by step', () => {
  const ctx = { file: 'config_train.json', path: 'train.optimizer' };
  for (const [make, args] of [
    [adamFactory, { lr: 0.01 }],
    [adamFactory, { lr: 0.01, weight_decay: 0.05 }],
    [adamWFactory, { lr: 0.02 }],
  ] as const) {
    const run = () => {
      const opt = make(args, ctx);
      const w = tf.variable(tf.tensor(randomArray(new Rng(1), 300), [10, 30]));
      const params = new Map([['w', w]]);
      const out: number[][] = [];
      for (let s = 0; s < 5; s++) {
        const g = tf.tensor(randomArray(new Rng(100 + s), 300), [10, 30]);
        opt.applyGradients(params, new Map([['w', g]]));
        g.dispose();
        out.push(Array.from(w.dataSync()));
      }
      opt.dispose();
      w.dispose();
      return out;
    };
    const c0 = nativeCallCounts.ClaraAdamUpdate ?? 0;
    const [nat, ref] = both(run);
    assert.ok((nativeCallCounts.ClaraAdamUpdate ?? 0) >= c0 + 5, 'the native update ran');
    nat.forEach((a, s) => assert.ok(relErr(a, ref[s]) < 1e-6, `${JSON.stringify(args)} step ${s}: rel err ${relErr(a, ref[s])}`));
  }
});

interface Fx {
  params: Record<string, { shape: number[]; data: number[] }>;
  grads: Record<string, number[]>[];
  cases: { optimizer: string; args: Record<string, unknown>; trajectory: Record<string, number[]>[] }[];
}
// torch's values from the committed fixture (test/optimizers/torch-parity.test.ts regenerates it live
// where torch imports; the tensor-op path is checked against it there)
test("Adam and AdamW with the native update follow torch's trajectory", () => {
  const source = 'committed fixture';
  const data = JSON.parse(readFileSync(new URL('../../fixtures/monai/optimizers.json', import.meta.url), 'utf8')) as Fx;
  registerNativeKernels();
  const ctx = { file: 'config_train.json', path: 'train.optimizer' };
  let ran = 0;
  for (const c of data.cases.filter((k) => (k.optimizer === 'Adam' || k.optimizer === 'AdamW') && !k.args.amsgrad)) {
    const opt = (c.optimizer === 'Adam' ? adamFactory : adamWFactory)(c.args, ctx);
    const params = new Map(Object.entries(data.params).map(([k, v]) => [k, tf.variable(tf.tensor(v.data, v.shape))]));
    const c0 = nativeCallCounts.ClaraAdamUpdate ?? 0;
    data.grads.forEach((g, s) => {
      if (s === 2) opt.lr *= 0.5;
      opt.applyGradients(params, new Map(Object.entries(g).map(([k, v]) => [k, tf.tensor(v, data.params[k].shape)])));
      for (const [k, want] of Object.entries(c.trajectory[s])) {
        const got = params.get(k)!.dataSync();
        want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-5, `${c.optimizer} step ${s} ${k}[${i}]: ${got[i]} vs torch ${w} (${source})`));
      }
    });
    assert.ok((nativeCallCounts.ClaraAdamUpdate ?? 0) > c0);
    ran++;
    opt.dispose();
  }
  assert.ok(ran >= 2, 'the fixture has Adam and AdamW cases');
});

test('Dice loss and its gradient through the native Sum (sumSpatial) equal the matMul path', async () => {
  const { diceLoss } = await import('../../../src/losses/dice.js');
  const pred = t([2, 4, 5, 3, 3]);
  const label = tf.tensor5d(
    Array.from({ length: 2 * 4 * 5 * 3 }, (_, i) => i % 3),
    [2, 4, 5, 3, 1],
  );
  for (const batch of [false, true]) {
    // squared_pred keeps the tensor ops (the plain softmax Dice runs the fused kernel: softmax-dice.test.ts)
    const loss = diceLoss({ includeBackground: false, toOnehotY: true, softmax: true, batch, squaredPred: true });
    const c0 = nativeCallCounts.Sum ?? 0;
    const [nat, ref] = both(() =>
      tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => loss(p, label) as tf.Scalar)(pred);
        return [Array.from(value.dataSync()), Array.from(grad.dataSync())];
      }),
    );
    assert.ok((nativeCallCounts.Sum ?? 0) > c0, 'sumSpatial ran the native Sum');
    nat.forEach((a, i) => assert.ok(relErr(a, ref[i]) < 1e-5, `batch ${batch} output ${i}: rel err ${relErr(a, ref[i])}`));
  }
  tf.dispose([pred, label]);
});
