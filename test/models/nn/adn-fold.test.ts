// A norm layer's following ReLU / PReLU folded into the native norm (models/nn/blocks.ts adn,
// SegResNet): whole models on cpu-native with the fold against the same models on tfjs's own
// kernels (norm ops, then tf.relu / tf.prelu), outputs and every parameter's gradient, in
// training mode (batch statistics); the PReLU weight keeps its MONAI name; no Relu / Prelu
// kernel runs where the activation is folded, and none is folded across a dropout.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernels, unregisterNativeKernels, nativeCallCounts } from '../../../src/engine/native-kernels.js';
import { segResNetFactory, unetFactory } from '../../../src/models/factories.js';
import type { SegModel } from '../../../src/models/seg-model.js';
import { Rng } from '../../../src/util/random.js';
import { relErr } from '../../native/conv-geom.js';

before(async () => {
  await tf.setBackend('cpu');
});

const ctx = { file: 'test', path: 'model' };

function run(make: () => SegModel, shape: number[]): { out: number[][]; names: string[]; counts: Record<string, number> } {
  const model = make();
  const rng = new Rng(12);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = tf.tensor5d(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape as [number, number, number, number, number],
  );
  const before = { ...nativeCallCounts };
  const y = model.apply(x, true);
  const proj = tf.tensor(
    Float32Array.from({ length: y.size }, () => rng.normal()),
    y.shape,
  );
  const vars = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, true), proj)) as tf.Scalar, vars);
  const counts: Record<string, number> = {};
  for (const k of ['ClaraGroupNorm', 'ClaraGroupNormGrad', 'Relu', 'Prelu']) counts[k] = (nativeCallCounts[k] ?? 0) - (before[k] ?? 0);
  const out = [y, value, ...vars.map((v) => grads[v.name])].map((t) => Array.from(t.dataSync()));
  const names = [...model.store.params.keys()];
  tf.dispose([x, y, proj, value, ...Object.values(grads)]);
  model.dispose();
  return { out, names, counts };
}

for (const [label, make, shape, folded] of [
  [
    'UNet, batch norm + PReLU (the Clara examples)',
    () => unetFactory({ in_channels: 1, out_channels: 2, channels: [4, 8], strides: [2], num_res_units: 1, norm: 'batch' }, ctx),
    [2, 8, 8, 8, 1],
    'Prelu',
  ],
  [
    'UNet, instance norm + ReLU (the synthetic example)',
    () => unetFactory({ in_channels: 1, out_channels: 2, channels: [4, 8], strides: [2], num_res_units: 0, norm: 'instance', act: 'relu' }, ctx),
    [2, 8, 8, 8, 1],
    'Relu',
  ],
  [
    'UNet, PReLU with one alpha per channel',
    () =>
      unetFactory(
        { in_channels: 1, out_channels: 2, channels: [4, 4], strides: [2], num_res_units: 0, norm: 'instance', act: ['prelu', { num_parameters: 4 }] },
        ctx,
      ),
    [1, 8, 8, 8, 1],
    'Prelu',
  ],
  [
    'SegResNet, group norm + ReLU',
    () => segResNetFactory({ in_channels: 1, out_channels: 2, init_filters: 8, blocks_down: [1, 1], blocks_up: [1] }, ctx),
    [1, 8, 8, 8, 1],
    'Relu',
  ],
] as [string, () => SegModel, number[], string | null][]) {
  test(`${label}: the folded activation on cpu-native equals tfjs's own kernels, output and every gradient`, () => {
    registerNativeKernels();
    const nat = run(make, shape);
    unregisterNativeKernels();
    const ref = run(make, shape);
    registerNativeKernels();
    assert.deepEqual(nat.names, ref.names, 'the same parameters, in the same order');
    assert.ok(nat.counts.ClaraGroupNorm > 0 && nat.counts.ClaraGroupNormGrad > 0, 'the native norm ran');
    if (folded) assert.equal(nat.counts[folded], 0, `no ${folded} kernel runs: it is folded into the norm`);
    assert.equal(nat.out.length, ref.out.length);
    nat.out.forEach((a, i) => assert.ok(relErr(a, ref.out[i]) < 2e-4, `output ${i}: rel err ${relErr(a, ref.out[i])}`));
  });
}

test('the PReLU weight of a folded ADN keeps its MONAI name; a dropout between norm and act keeps them apart', () => {
  registerNativeKernels();
  const m = unetFactory({ in_channels: 1, out_channels: 2, channels: [4, 8], strides: [2], num_res_units: 1, norm: 'batch' }, ctx);
  assert.ok(
    [...m.store.params.keys()].some((k) => /adn\.A\.weight$/.test(k)),
    'a parameter named ...adn.A.weight (torch.nn.PReLU in MONAI ADN)',
  );
  m.dispose();
  const before = nativeCallCounts.Prelu ?? 0;
  const { counts } = run(
    () => unetFactory({ in_channels: 1, out_channels: 2, channels: [4, 8], strides: [2], num_res_units: 1, norm: 'batch', dropout: 0.1 }, ctx),
    [1, 8, 8, 8, 1],
  );
  assert.ok(counts.Prelu > 0 && (nativeCallCounts.Prelu ?? 0) > before, 'with dropout (NDA), PReLU runs as its own kernel');
});
