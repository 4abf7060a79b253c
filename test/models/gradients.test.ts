// Every op of UNet and SegResNet has a gradient (on pure tfjs), and it matches finite differences
// (central differences along a random direction per parameter tensor; smooth activations so the
// check is not spoiled by ReLU kinks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { segResNetFactory, unetFactory } from '../../src/models/factories.js';
import type { SegModel } from '../../src/models/seg-model.js';
import { Rng } from '../../src/util/random.js';
import { useTestBackend } from '../helpers/test-backend.js';

await useTestBackend();
const ctx = { file: 'test', path: 'model' };

function check(model: SegModel, shape: number[]): void {
  const rng = new Rng(9);
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const x = tf.tensor(randn(shape.reduce((a, b) => a * b, 1)), shape) as tf.Tensor as tf.Tensor5D;
  const out = model.apply(x, false);
  const proj = tf.tensor(randn(out.size), out.shape);
  const loss = () => tf.sum(tf.mul(model.apply(x, false), proj)) as tf.Scalar;
  const vars = model.trainableVariables();
  const { grads } = tf.variableGrads(loss, vars);
  assert.equal(Object.keys(grads).length, vars.length, 'every parameter gets a gradient');
  const rows: [string, number, number][] = [];
  for (const [name, v] of model.store.params) {
    const g = grads[v.name].dataSync();
    const d0 = randn(v.size);
    const norm = Math.sqrt(d0.reduce((a, b) => a + b * b, 0));
    const d = d0.map((t) => t / norm);
    const analytic = Array.from(g).reduce((s: number, gi: number, i: number) => s + gi * d[i], 0);
    const base = v.dataSync().slice();
    const eps = 5e-3;
    const at = (s: number) => {
      v.assign(
        tf.tensor(
          base.map((b, i) => b + s * d[i]),
          v.shape,
        ),
      );
      return loss().dataSync()[0];
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    v.assign(tf.tensor(base, v.shape));
    rows.push([name, analytic, numeric]);
  }
  // float32 sums limit the precision of tiny directional derivatives: compare against 5% of
  // each value, with a floor of 1% of the largest one
  const scale = Math.max(...rows.map((r) => Math.abs(r[1])));
  for (const [name, a, n] of rows) {
    assert.ok(Math.abs(a - n) <= 0.05 * Math.max(Math.abs(a), 0.01 * scale), `${name}: analytic ${a} vs numeric ${n}`);
  }
}

test('UNet (instance norm, residual units, transposed convs) gradients', () => {
  check(unetFactory({ channels: [2, 3, 4], strides: [2, 2], num_res_units: 1, act: 'tanh', in_channels: 1, out_channels: 2 }, ctx), [1, 8, 8, 8, 1]);
});

test('SegResNet (group norm, trilinear upsampling) and deconv variant gradients', () => {
  check(
    segResNetFactory({ init_filters: 2, blocks_down: [1, 1], blocks_up: [1], norm: ['group', { num_groups: 2 }], act: 'tanh', out_channels: 2 }, ctx),
    [1, 8, 8, 8, 1],
  );
  check(
    segResNetFactory({ init_filters: 2, blocks_down: [1, 1], blocks_up: [1], norm: 'instance', upsample_mode: 'deconv', act: 'tanh' }, ctx),
    [1, 8, 8, 8, 1],
  );
});
