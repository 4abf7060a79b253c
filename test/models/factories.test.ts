import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { segResNetFactory, unetFactory } from '../../src/models/factories.js';
import '../../src/models/register.js';
import { registry } from '../../src/config/registry.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
const ctx = { file: 'config_train.json', path: 'train.model' };

test('Clara 3.x SegResnet args build the model they describe', () => {
  const m = segResNetFactory(
    {
      num_classes: 3,
      use_vae: false,
      blocks_down: '1,1',
      blocks_up: '1',
      init_filters: 4,
      use_batch_norm: false,
      use_group_norm: true,
      pabloBN: false,
      use_group_normG: 2,
      reg_weight: 1e-5,
      dropout_prob: 0.2,
      final_activation: 'sigmoid',
      factor: 2,
      skipConnection: true,
      leaky_relu_alpha: 0.2,
      concat_enc_dec: false,
      blockHas2convs: true,
    },
    ctx,
  );
  assert.equal(m.outChannels, 3);
  assert.equal(m.finalActivation, 'sigmoid');
  assert.equal(m.regWeight, 1e-5);
  assert.ok([...m.store.params.keys()].includes('down_layers.0.1.norm1.weight'));
  const y = m.apply(tf.ones([1, 4, 4, 4, 1]) as tf.Tensor5D, true);
  assert.deepEqual(y.shape, [1, 4, 4, 4, 3]);
});

test('unsupported or malformed args are refused with their JSON path', () => {
  assert.throws(() => segResNetFactory({ use_vae: true }, ctx), /config_train\.json: train\.model\.args\.use_vae: 'use_vae' must be false/);
  assert.throws(() => unetFactory({ channels: [4], strides: [] }, ctx), /train\.model\.args\.channels: .*at least 2/);
  assert.throws(
    () => unetFactory({ channels: [4, 8], strides: [2], norm: ['group', { num_groups: 3 }] }, ctx),
    /train\.model\.args: .*num_groups \(3\) must divide/,
  );
  assert.throws(() => unetFactory({ channels: [4, 8], strides: [2], act: 'bogus' }, ctx), /unknown act 'bogus'/);
  const spec = registry.require('UNet', ctx, 'model');
  assert.throws(() => registry.checkArgs(spec, { chanels: [1] }, ctx), /no argument 'chanels'.*closest: channels/);
});

test('a UNet with batch norm and dropout trains: one Adam step lowers the loss', () => {
  const m = unetFactory({ dimensions: 3, in_channels: 1, out_channels: 2, channels: [2, 4], strides: [2], num_res_units: 1, norm: 'batch', dropout: 0.1 }, ctx);
  const x = tf.randomNormal([2, 4, 4, 4, 1], 0, 1, 'float32', 5) as tf.Tensor5D;
  const y = tf.oneHot(tf.cast(tf.greater(tf.squeeze(x, [4]), 0), 'int32'), 2);
  const lossOf = (training: boolean) => tf.losses.softmaxCrossEntropy(y, m.apply(x, training)) as tf.Scalar;
  const opt = tf.train.adam(0.05);
  const first = lossOf(false).dataSync()[0];
  for (let i = 0; i < 5; i++) opt.minimize(() => lossOf(true), false, m.trainableVariables());
  assert.ok(lossOf(false).dataSync()[0] < first);
});
