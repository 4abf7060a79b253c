import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { claraDiceFactory, claraFocalFactory, diceLossFactory, focalLossFactory, diceCELossFactory } from '../../src/losses/factories.js';
import '../../src/losses/register.js';
import { registry } from '../../src/config/registry.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
const ctx = { file: 'config_train.json', path: 'train.loss' };
const logits = tf.tensor([2, -1, 0.5, 0.1, -2, 3, 1, 1], [1, 2, 2, 1, 2]);
const label = tf.tensor([0, 1, 1, 0], [1, 2, 2, 1, 1]);

test("Clara 3.x Dice equals MONAI's DiceLoss with the mapped arguments", () => {
  const clara = claraDiceFactory({ squared_pred: true, is_onehot_targets: false, skip_background: true }, ctx);
  const monai = diceLossFactory({ squared_pred: true, to_onehot_y: true, include_background: false, softmax: true, smooth_nr: 0, smooth_dr: 1e-5 }, ctx);
  assert.ok(Math.abs(clara(logits, label).dataSync()[0] - monai(logits, label).dataSync()[0]) < 1e-7);
  const focal = claraFocalFactory({ gamma: 1 }, ctx);
  const mf = focalLossFactory({ gamma: 1, to_onehot_y: true, use_softmax: true }, ctx);
  assert.ok(Math.abs(focal(logits, label).dataSync()[0] - mf(logits, label).dataSync()[0]) < 1e-7);
});

test('a perfect prediction gives a Dice loss near 0 and the loss has gradients', () => {
  const loss = diceLossFactory({ to_onehot_y: true, softmax: true }, ctx);
  const perfect = tf.mul(tf.sub(tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).reshape([1, 2, 2, 1, 2]), 0.5), 40);
  assert.ok(loss(perfect, label).dataSync()[0] < 1e-6);
  const g = tf.grad((x: tf.Tensor) => loss(x, label) as tf.Scalar)(logits);
  assert.ok(Array.from(g.dataSync()).some((v) => Math.abs(v) > 1e-4));
});

test('bad loss args name the JSON path', () => {
  assert.throws(() => diceLossFactory({ sigmoid: true, softmax: true }, ctx), /config_train\.json: train\.loss\.args: more than one of sigmoid, softmax/);
  assert.throws(() => diceLossFactory({ reduction: 'avg' }, ctx), /train\.loss\.args\.reduction: 'reduction' must be one of mean, sum, none/);
  assert.throws(() => diceCELossFactory({ reduction: 'none' }, ctx), /train\.loss\.args\.reduction/);
  assert.throws(() => diceLossFactory({ other_act: 'torch.weird' }, ctx), /train\.loss\.args\.other_act/);
  const w = diceLossFactory({ weight: [1, 2, 3], to_onehot_y: true }, ctx);
  assert.throws(() => w(logits, label), /weight has 3 values for 2 classes/);
  assert.deepEqual(['Dice', 'DiceCELoss', 'DiceFocalLoss', 'DiceLoss', 'Focal', 'FocalLoss'].filter((n) => registry.get(n)?.kind === 'loss').length, 6);
});
