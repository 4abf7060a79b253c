// Every loss against MONAI's value on the same inputs (live MONAI or the committed fixture).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { diceCELossFactory, diceFocalLossFactory, diceLossFactory, focalLossFactory } from '../../src/losses/factories.js';
import { monaiFixture } from '../helpers/monai-fixtures.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();

interface T {
  shape: number[];
  data: number[];
}
interface Fixture {
  inputs: Record<string, { pred: T; label: T }>;
  cases: { loss: string; args: Record<string, unknown>; input: string; value: number[] }[];
}
const { data, source } = monaiFixture<Fixture>('make_loss_fixtures.py', 'losses.json');
const factories: Record<string, typeof diceLossFactory> = {
  DiceLoss: diceLossFactory,
  FocalLoss: focalLossFactory,
  DiceCELoss: diceCELossFactory,
  DiceFocalLoss: diceFocalLossFactory,
};

for (const c of data.cases) {
  test(`${c.loss} ${JSON.stringify(c.args)} on ${c.input} equals MONAI (${source})`, () => {
    const loss = factories[c.loss](c.args, { file: 'test', path: 'train.loss' });
    const inp = data.inputs[c.input];
    const got = loss(tf.tensor(inp.pred.data, inp.pred.shape), tf.tensor(inp.label.data, inp.label.shape));
    const v = Array.from(got.dataSync());
    assert.equal(v.length, c.value.length);
    v.forEach((x, i) => assert.ok(Math.abs(x - c.value[i]) <= 1e-5 * Math.max(1, Math.abs(c.value[i])), `[${i}] ${x} vs MONAI ${c.value[i]}`));
  });
}
