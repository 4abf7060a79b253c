import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { meanDiceFactory, accuracyFactory } from '../../src/metrics/register.js';
import { metricLogName } from '../../src/metrics/metric.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
interface T {
  shape: number[];
  data: number[];
}
interface Fx {
  pred: T;
  label: T;
  cases: { include_background: boolean; ignore_empty: boolean; per_case: (number | null)[][]; mean: number; mean_batch: number[] }[];
}
const { data, source } = monaiFixture<Fx>('make_metric_fixtures.py', 'metrics.json');
const ctx = { file: 'config_validation.json', path: 'validate.key_metric' };
const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

for (const c of data.cases) {
  test(`MeanDice include_background=${c.include_background} ignore_empty=${c.ignore_empty} equals MONAI (${source})`, () => {
    const m = meanDiceFactory({ include_background: c.include_background, ignore_empty: c.ignore_empty }, ctx);
    const pred = tf.tensor(data.pred.data, data.pred.shape),
      label = tf.tensor(data.label.data, data.label.shape);
    // two batches: the aggregate must not depend on how cases are batched
    m.update(tf.slice(pred, [0], [2]), tf.slice(label, [0], [2]));
    m.update(tf.slice(pred, [2], [1]), tf.slice(label, [2], [1]));
    m.perCase().forEach((row, b) =>
      row.forEach((v, k) => {
        const want = c.per_case[b][k];
        assert.ok(want === null ? Number.isNaN(v) : close(v, want), `case ${b} class ${k}: ${v} vs ${want}`);
      }),
    );
    assert.ok(close(m.compute(), c.mean), `mean ${m.compute()} vs ${c.mean}`);
    m.perClass().forEach((v, k) => assert.ok(close(v, c.mean_batch[k]), `class ${k}`));
    m.reset();
    assert.ok(Number.isNaN(m.compute()));
  });
}

test('MeanDice on single-channel binary predictions counts class 1 only; accuracy counts voxels', () => {
  const m = meanDiceFactory({ threshold: true, activate: true, include_background: true }, ctx);
  const logits = tf.tensor([3, -3, 3, -3], [1, 2, 2, 1, 1]);
  const label = tf.tensor([1, 0, 0, 0], [1, 2, 2, 1, 1]);
  m.update(logits, label);
  assert.deepEqual(m.perCase(), [[2 / 3]]);
  const acc = accuracyFactory({ threshold: true, activate: true }, ctx);
  acc.update(logits, label);
  assert.equal(acc.compute(), 0.75);
  assert.equal(m.name, 'val_mean_dice');
  assert.equal(meanDiceFactory({ log_label: 'val_dice' }, ctx).name, 'val_dice');
  assert.equal(metricLogName({ log_label: 'val_acc', args: {} }, 'x'), 'val_acc');
  assert.throws(() => meanDiceFactory({ reduction: 'sum' }, ctx), /validate\.key_metric\.args\.reduction/);
});

for (const c of data.cases) {
  test(`MeanDice.ofCase (the evaluator's path) include_background=${c.include_background} ignore_empty=${c.ignore_empty} equals MONAI per case (${source})`, () => {
    const m = meanDiceFactory({ include_background: c.include_background, ignore_empty: c.ignore_empty }, ctx);
    const pred = tf.tensor(data.pred.data, data.pred.shape);
    const k = data.pred.shape[data.pred.shape.length - 1];
    const p = tf.argMax(pred, -1).dataSync() as Int32Array,
      y = Int32Array.from(data.label.data); // label: class indices [N, D, H, W, 1]
    const per = p.length / data.pred.shape[0];
    c.per_case.forEach((row, b) => {
      const counted = row.filter((v): v is number => v !== null);
      const want = counted.length ? counted.reduce((s, v) => s + v, 0) / counted.length : NaN;
      const got = m.ofCase(p.subarray(b * per, (b + 1) * per), y.subarray(b * per, (b + 1) * per), k);
      assert.ok(Number.isNaN(want) ? Number.isNaN(got) : close(got, want), `case ${b}: ${got} vs ${want}`);
    });
  });
}
